/**
 * The SQS query protocol (form-encoded requests, XML responses), still spoken by older SDKs and CLIs
 * (e.g. Debian's awscli 2.9), translated to and from the JSON protocol fauxqs serves.
 */
type Tree = { [key: string]: Tree | string };

const NUMERIC = new Set([
  'DelaySeconds',
  'MaxNumberOfMessages',
  'VisibilityTimeout',
  'WaitTimeSeconds',
  'MaxResults',
]);
const LISTS: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
};
const ENTRIES = /^(SendMessageBatch|DeleteMessageBatch|ChangeMessageVisibilityBatch)RequestEntry$/;

function toTree(form: URLSearchParams): Tree {
  const root: Tree = {};
  for (const [key, value] of form) {
    const parts = key.split('.');
    let node = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Tree;
    });
  }
  return root;
}

/** `{ "1": a, "2": b }` -> `[a, b]` in index order. */
function members(node: Tree | string | undefined): (Tree | string)[] {
  if (!node || typeof node === 'string') return [];
  return Object.keys(node)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => node[k] as Tree | string);
}

function messageAttributes(node: Tree | string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of members(node)) {
    if (typeof m === 'string' || typeof m.Name !== 'string') continue;
    out[m.Name] = typeof m.Value === 'object' ? { ...m.Value } : {};
  }
  return out;
}

function decode(tree: Tree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(tree)) {
    if (key === 'Action' || key === 'Version') continue;
    if (LISTS[key]) out[LISTS[key]] = members(node);
    else if (key === 'Attribute' || key === 'Tag') {
      const map: Record<string, string> = {};
      for (const m of members(node))
        if (typeof m === 'object') map[String(m.Name ?? m.Key)] = String(m.Value ?? '');
      out[key === 'Attribute' ? 'Attributes' : 'tags'] = map;
    } else if (key === 'MessageAttribute') out.MessageAttributes = messageAttributes(node);
    else if (ENTRIES.test(key))
      out.Entries = members(node).map((e) => (typeof e === 'object' ? decode(e) : e));
    else if (typeof node === 'string') out[key] = NUMERIC.has(key) ? Number(node) : node;
    else out[key] = decode(node);
  }
  return out;
}

/** A form-encoded SQS request -> the action and its JSON-protocol input. */
export function decodeSqsQuery(body: string): { action: string; input: Record<string, unknown> } {
  const form = new URLSearchParams(body);
  return { action: form.get('Action') ?? '', input: decode(toTree(form)) };
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Element names of list members in query responses. */
function memberName(listName: string, action: string): string {
  if (listName === 'QueueUrls') return 'QueueUrl';
  if (listName === 'Messages') return 'Message';
  if (listName === 'Failed') return 'BatchResultErrorEntry';
  if (listName === 'Successful') return `${action}ResultEntry`;
  return listName.replace(/s$/, '');
}

function xml(name: string, value: unknown, action: string): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => xml(memberName(name, action), v, action)).join('');
  if (typeof value !== 'object') return `<${name}>${escape(String(value))}</${name}>`;
  const obj = value as Record<string, unknown>;
  if (name === 'Attributes' || name === 'tags') {
    const [el, key] = name === 'tags' ? ['Tag', 'Key'] : ['Attribute', 'Name'];
    return Object.entries(obj)
      .map(([k, v]) => `<${el}><${key}>${escape(k)}</${key}><Value>${escape(String(v))}</Value></${el}>`)
      .join('');
  }
  if (name === 'MessageAttributes') {
    return Object.entries(obj)
      .map(
        ([k, v]) =>
          `<MessageAttribute><Name>${escape(k)}</Name>${xml('Value', v, action)}</MessageAttribute>`,
      )
      .join('');
  }
  return `<${name}>${Object.entries(obj)
    .map(([k, v]) => xml(k, v, action))
    .join('')}</${name}>`;
}

const NS = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** A JSON-protocol result -> the query protocol's XML document. */
export function encodeSqsQueryResult(
  action: string,
  result: Record<string, unknown>,
  requestId: string,
): string {
  const fields = Object.entries(result)
    .map(([k, v]) => xml(k, v, action))
    .join('');
  return (
    `<?xml version="1.0"?><${action}Response xmlns="${NS}"><${action}Result>${fields}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

/** A JSON-protocol error (with its `x-amzn-query-error` code, when given) -> the query protocol's error XML. */
export function encodeSqsQueryError(
  error: { __type?: string; message?: string },
  queryError: string | undefined,
  requestId: string,
): string {
  const [queryCode, fault] = (queryError ?? '').split(';');
  const code = queryCode || (error.__type ?? 'InternalError').split('#').pop();
  return (
    `<?xml version="1.0"?><ErrorResponse xmlns="${NS}"><Error><Type>${fault || 'Sender'}</Type>` +
    `<Code>${escape(code ?? '')}</Code><Message>${escape(error.message ?? '')}</Message><Detail/></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
