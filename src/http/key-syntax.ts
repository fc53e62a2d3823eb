/**
 * OData's key syntax, `users('key')`, which Graph accepts beside the path form `users/key` (and
 * documents as the way to name a user whose userPrincipalName starts with `$`), and a photo size
 * as `photos('48x48')`, as client code written for Graph sends it. Rewritten, before routing, to
 * the path form the routes know; `''` inside the quotes is one quote.
 */
const KEY =
  /\/(users|groups|teams|contacts|contactFolders|photos)\('((?:[^'/?]|'')*)'\)(?=[/?]|$)/gi;

/** `url` with every `set('key')` segment written as `set/key`; other URLs as they are. */
export function rewriteKeySyntax(url: string): string {
  if (!url.includes("('")) return url;
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  const rest = query === -1 ? "" : url.slice(query);
  return `${path.replace(KEY, (_, set: string, key: string) => `/${set}/${key.replaceAll("''", "'")}`)}${rest}`;
}
