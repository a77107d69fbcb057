/** IPv4 / IPv6 address and CIDR parsing for the `cidr` pattern operator. */

export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface CidrBlock extends IpAddress {
  prefixLength: number;
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseGroups(s: string): number[] | undefined {
  if (s === '') return [];
  const groups: number[] = [];
  const parts = s.split(':');
  for (const [i, p] of parts.entries()) {
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (v4 === undefined) return undefined;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
      groups.push(Number.parseInt(p, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIpv6(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

export function parseIp(s: string): IpAddress | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { version: 4, value: v4 };
  if (!s.includes(':')) return undefined;
  const v6 = parseIpv6(s);
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

export function parseCidr(s: string): CidrBlock | undefined {
  const [addr, len, ...rest] = s.split('/');
  if (addr === undefined || len === undefined || rest.length > 0 || !/^\d{1,3}$/.test(len)) return undefined;
  const ip = parseIp(addr);
  const prefixLength = Number(len);
  if (!ip || prefixLength > (ip.version === 4 ? 32 : 128)) return undefined;
  return { ...ip, prefixLength };
}

export function cidrContains(block: CidrBlock, ip: IpAddress): boolean {
  if (block.version !== ip.version) return false;
  const shift = BigInt((block.version === 4 ? 32 : 128) - block.prefixLength);
  return block.value >> shift === ip.value >> shift;
}
