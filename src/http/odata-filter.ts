/**
 * `$filter` on users and groups: the comparisons clients use to find directory objects.
 * `prop eq value`, `prop ne value`, `prop in (value, ...)` and `startswith(prop, 'text')`, where
 * a value is a 'quoted string' ('' for a quote), true, false or null; joined by `and` and `or`
 * (`and` binds first) and grouped with parentheses. Strings compare without regard to case, as
 * the directory compares them. Anything else (other functions, `not`, lambdas, arithmetic)
 * answers 400 naming what is not supported, never a silently unfiltered answer.
 */
import type { ViewCondition } from "../directory/paging.ts";
import { GraphError } from "../errors.ts";
import type { DirectoryType } from "./directory-query.ts";

type Token = { kind: "word" | "string" | "punct"; text: string };
type Value = string | boolean | null;

/** Deeper nesting than this is refused: no client needs it, and it bounds the recursion. */
const MAX_DEPTH = 32;
/**
 * More comparisons and listed values than this in one filter are refused: each is evaluated
 * for every object a page looks through, so this bounds a page's work.
 */
export const MAX_TERMS = 100;
const TOKEN = /\s*(?:'((?:[^']|'')*)'|([A-Za-z_][\w.]*)|([(),])|(\S))/y;

/** The condition `text` states on objects of `type`; 400 for what cannot be read. */
export function parseFilter(text: string, type: DirectoryType): ViewCondition {
  const tokens = tokenize(text);
  let at = 0;
  let terms = 0;
  const count = () => {
    if (++terms > MAX_TERMS) throw invalid(`it has more than ${MAX_TERMS} comparisons and values`);
  };
  const peek = (): Token | undefined => tokens[at];
  const take = (): Token => {
    const token = tokens[at++];
    if (!token) throw invalid("it ends too early");
    return token;
  };
  const expect = (text: string) => {
    const token = take();
    if (token.text.toLowerCase() !== text)
      throw invalid(`expected '${text}', found '${token.text}'`);
  };
  const isWord = (token: Token | undefined, word: string) =>
    token?.kind === "word" && token.text.toLowerCase() === word;

  const property = (): string => {
    const token = take();
    const found =
      token.kind === "word"
        ? type.properties.find((p) => p.toLowerCase() === token.text.toLowerCase())
        : undefined;
    if (!found && type.unkept && Object.hasOwn(type.unkept, token.text)) {
      throw unsupported(`filtering on '${token.text}', which Portrait does not keep`);
    }
    if (!found) {
      throw new GraphError(
        "BadRequest",
        `Could not find a property named '${token.text}' on type '${type.name}'.`,
      );
    }
    return found;
  };
  const value = (): Value => {
    count();
    const token = take();
    if (token.kind === "string") return token.text;
    if (token.kind === "word") {
      const word = token.text.toLowerCase();
      if (word === "true" || word === "false") return word === "true";
      if (word === "null") return null;
    }
    throw invalid(`'${token.text}' is not a value ('quoted text', true, false or null)`);
  };

  const primary = (depth: number): ViewCondition => {
    if (depth > MAX_DEPTH) throw invalid("it nests too deeply");
    const token = peek();
    if (token?.text === "(") {
      take();
      const inner = or(depth + 1);
      expect(")");
      return inner;
    }
    if (isWord(token, "startswith") && tokens[at + 1]?.text === "(") {
      at += 2;
      const name = property();
      expect(",");
      const prefix = value();
      expect(")");
      if (typeof prefix !== "string") throw invalid("startswith takes 'quoted text'");
      const lower = prefix.toLowerCase();
      return (view) => typeof view[name] === "string" && view[name].toLowerCase().startsWith(lower);
    }
    if (isWord(token, "not")) throw unsupported("'not'");
    if (token?.kind === "word" && tokens[at + 1]?.text === "(") {
      throw unsupported(`the function '${token.text}'`);
    }
    const name = property();
    const operator = take().text.toLowerCase();
    if (operator === "eq" || operator === "ne") {
      const wanted = value();
      return operator === "eq"
        ? (view) => same(view[name], wanted)
        : (view) => !same(view[name], wanted);
    }
    if (operator === "in") {
      expect("(");
      const values = [value()];
      while (peek()?.text === ",") {
        take();
        values.push(value());
      }
      expect(")");
      return (view) => values.some((wanted) => same(view[name], wanted));
    }
    throw unsupported(`the operator '${operator}'`);
  };
  /**
   * `operand` (word `operand`)*, the conditions combined by `all` as one flat list, so that
   * a long chain is evaluated in a loop, not by one nested call per term.
   */
  const joined =
    (
      word: string,
      operand: (depth: number) => ViewCondition,
      all: (conditions: ViewCondition[]) => ViewCondition,
    ) =>
    (depth: number): ViewCondition => {
      const conditions = [operand(depth)];
      while (isWord(peek(), word)) {
        take();
        conditions.push(operand(depth));
      }
      return conditions.length === 1 ? (conditions[0] as ViewCondition) : all(conditions);
    };
  const and = joined("and", primary, (all) => (view) => all.every((each) => each(view)));
  const or = joined("or", and, (any) => (view) => any.some((each) => each(view)));

  const condition = or(0);
  const rest = peek();
  if (rest) throw unsupported(`'${rest.text}' where the filter should end`);
  return condition;
}

/** Equality as the directory compares: strings without regard to case; unset equals null. */
function same(actual: unknown, wanted: Value): boolean {
  if (wanted === null) return actual === undefined || actual === null;
  if (typeof wanted === "string") {
    return typeof actual === "string" && actual.toLowerCase() === wanted.toLowerCase();
  }
  return actual === wanted;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const match = TOKEN.exec(text);
    if (!match) break;
    const [, quoted, word, punct, other] = match;
    if (quoted !== undefined) tokens.push({ kind: "string", text: quoted.replaceAll("''", "'") });
    else if (word !== undefined) tokens.push({ kind: "word", text: word });
    else if (punct !== undefined) tokens.push({ kind: "punct", text: punct });
    else if (other === "'") throw invalid("a 'quoted string' is not closed");
    else if (other !== undefined) throw unsupported(`'${other}'`);
  }
  if (tokens.length === 0) throw invalid("it is empty");
  return tokens;
}

function invalid(detail: string): GraphError {
  return new GraphError("BadRequest", `Invalid $filter: ${detail}.`);
}

function unsupported(what: string): GraphError {
  return new GraphError(
    "BadRequest",
    `Unsupported $filter: ${what}. Portrait reads eq, ne, in and startswith, joined by and/or.`,
  );
}
