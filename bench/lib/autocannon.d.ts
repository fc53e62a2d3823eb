/** The part of autocannon 9's API the benchmarks use (the package ships no types). */
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      pipelining?: number;
      duration?: number;
      timeout?: number;
      requests?: { method?: string; path?: string; headers?: Record<string, string> }[];
      setupClient?: (client: never) => void;
    }

    interface Result {
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      "2xx": number;
      throughput: { total: number };
    }

    interface Instance extends EventEmitter, PromiseLike<Result> {
      on(
        event: "response",
        listener: (
          client: unknown,
          statusCode: number,
          bytes: number,
          responseTime: number,
        ) => void,
      ): this;
      stop(): void;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
