/**
 * Run as a process of its own by hostile-uploads.test.ts: starts a service, makes one small
 * upload (so that sharp and the store are loaded), then uploads the file named by the first
 * argument and prints one JSON line: the status, the stored sizes, the RSS just before that
 * upload and the process's peak RSS (the kernel's high-water mark) after it. A separate process
 * measures one service handling one upload, not the test runner that made the image.
 */
import { readFile } from "node:fs/promises";
import { makeJpeg } from "../helpers/images.ts";
import { startService } from "../helpers/service.ts";

export interface ChildUploadReport {
  status: number;
  sizes: string[];
  rssBeforeBytes: number;
  peakRssBytes: number;
}

const file = process.argv[2];
if (!file) throw new Error("usage: upload-in-child.ts <image file>");
const body = await readFile(file);
const service = await startService({ RATE_LIMIT_REQUESTS: "0" });
try {
  const id = await service.createUser("peak@portrait.test");
  const headers = { authorization: `Bearer ${await service.userToken(id, ["User.ReadWrite"])}` };
  const put = (payload: Buffer) =>
    service.app.inject({ method: "PUT", url: "/v1.0/me/photo/$value", headers, payload });
  const warmUp = await put(await makeJpeg(100, 100));
  if (warmUp.statusCode !== 200) throw new Error(`warm-up upload: ${warmUp.body}`);

  const rssBeforeBytes = process.memoryUsage().rss;
  const response = await put(body);
  // ru_maxrss is in KiB on Linux.
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const list = await service.app.inject({ method: "GET", url: "/v1.0/me/photos", headers });
  const report: ChildUploadReport = {
    status: response.statusCode,
    sizes: (list.json().value as Array<{ id: string }>).map((size) => size.id),
    rssBeforeBytes,
    peakRssBytes,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
} finally {
  await service.close();
}
