/**
 * Go's time.Time as notation's texts need it: an instant (seconds and nanoseconds since the Unix
 * epoch) with the zone offset it was read with. JWS times keep their RFC 3339 offset in Go, and
 * `Format(time.RFC1123Z)` prints that offset, so a plain Date would lose what the texts show.
 * Certificate and CBOR times are UTC (Bottlerocket's hosts run in UTC, as did the corpus oracle).
 */

export interface GoTime {
  /** Whole seconds since 1970-01-01T00:00:00Z (may be negative). */
  sec: number;
  /** Nanoseconds, 0 … 999 999 999. */
  nsec: number;
  /** Zone offset east of UTC, in seconds. */
  offset: number;
  /** The zone's name as Go prints it (`UTC` for UTC, '' for an unnamed fixed zone). */
  zone: string;
}

export function goTimeFromMs(ms: number): GoTime {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.round((ms - sec * 1000) * 1e6), offset: 0, zone: 'UTC' };
}

export function goTimeFromDate(date: Date): GoTime {
  return goTimeFromMs(date.getTime());
}

export function isZero(t: GoTime | undefined): boolean {
  // Go's zero time is January 1, year 1, 00:00:00 UTC.
  return t === undefined || t.sec === ZERO_SEC;
}

/** Seconds from the Unix epoch to Go's zero time (0001-01-01T00:00:00Z). */
export const ZERO_SEC = -62135596800;

export function compare(a: GoTime, b: GoTime): number {
  if (a.sec !== b.sec) return a.sec < b.sec ? -1 : 1;
  if (a.nsec !== b.nsec) return a.nsec < b.nsec ? -1 : 1;
  return 0;
}

export const before = (a: GoTime, b: GoTime): boolean => compare(a, b) < 0;
export const after = (a: GoTime, b: GoTime): boolean => compare(a, b) > 0;
export const equal = (a: GoTime, b: GoTime): boolean => compare(a, b) === 0;

/** t + d, d in nanoseconds (an integer). */
export function addNanos(t: GoTime, d: number): GoTime {
  const total = t.nsec + (d % 1e9);
  let sec = t.sec + Math.trunc(d / 1e9);
  let nsec = total;
  if (nsec >= 1e9) {
    sec += 1;
    nsec -= 1e9;
  } else if (nsec < 0) {
    sec -= 1;
    nsec += 1e9;
  }
  return { ...t, sec, nsec };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

/** Civil fields of the instant in its own zone (proleptic Gregorian, any year). */
function fields(t: GoTime): Fields {
  const local = t.sec + t.offset;
  const days = Math.floor(local / 86400);
  const secOfDay = local - days * 86400;
  // Howard Hinnant's days-to-civil algorithm.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return {
    year,
    month,
    day,
    hour: Math.floor(secOfDay / 3600),
    minute: Math.floor((secOfDay % 3600) / 60),
    second: secOfDay % 60,
    weekday: (((days + 4) % 7) + 7) % 7,
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function year4(y: number): string {
  if (y < 0) return '-' + pad(-y, 4);
  return pad(y, 4);
}

function offsetText(offset: number, colon: boolean, zForUtc: boolean): string {
  if (offset === 0 && zForUtc) return 'Z';
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const h = pad(Math.floor(abs / 3600));
  const m = pad(Math.floor((abs % 3600) / 60));
  return colon ? `${sign}${h}:${m}` : `${sign}${h}${m}`;
}

/** time.RFC1123Z: `Mon, 02 Jan 2006 15:04:05 -0700`. */
export function formatRFC1123Z(t: GoTime): string {
  const f = fields(t);
  return `${DAYS[f.weekday]}, ${pad(f.day)} ${MONTHS[f.month - 1]} ${year4(f.year)} ${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)} ${offsetText(t.offset, false, false)}`;
}

/** time.RFC3339: `2006-01-02T15:04:05Z07:00` (whole seconds). */
export function formatRFC3339(t: GoTime): string {
  const f = fields(t);
  return `${year4(f.year)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${offsetText(t.offset, true, true)}`;
}

/** time.Time.String(): `2006-01-02 15:04:05.999999999 -0700 MST`. */
export function goTimeString(t: GoTime): string {
  const f = fields(t);
  let frac = '';
  if (t.nsec !== 0) frac = '.' + pad(t.nsec, 9).replace(/0+$/, '');
  const zone = t.zone !== '' ? t.zone : offsetText(t.offset, false, false);
  return `${year4(f.year)}-${pad(f.month)}-${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${frac} ${offsetText(t.offset, false, false)} ${zone}`;
}

/** Days from 1970-01-01 to a civil date (proleptic Gregorian). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/**
 * Go's time.Time UnmarshalJSON (parseStrictRFC3339), for JSON string contents. Returns the error
 * text Go gives for the common failures; exotic inputs get Go's generic parse error shape.
 */
export function parseRFC3339(value: string): GoTime | { error: string } {
  const layout = '2006-01-02T15:04:05Z07:00';
  const fail = (elem: string, rest: string) => ({
    error: `parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(elem)}`,
  });
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!m) {
    if (!/^\d{4}/.test(value)) return fail('2006', value);
    return fail('Z07:00', value.replace(/^[^Zz+-]*/, ''));
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) return { error: `parsing time ${JSON.stringify(value)}: month out of range` };
  if (day < 1 || day > daysIn(month, year))
    return { error: `parsing time ${JSON.stringify(value)}: day out of range` };
  if (hour > 23) return { error: `parsing time ${JSON.stringify(value)}: hour out of range` };
  if (minute > 59) return { error: `parsing time ${JSON.stringify(value)}: minute out of range` };
  if (second > 59) return { error: `parsing time ${JSON.stringify(value)}: second out of range` };
  let offset = 0;
  let zone = 'UTC';
  const z = m[8]!;
  if (z !== 'Z' && z !== 'z') {
    const sign = z[0] === '-' ? -1 : 1;
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(4, 6));
    if (oh > 23 || om > 59)
      return { error: `parsing time ${JSON.stringify(value)}: time zone offset out of range` };
    offset = sign * (oh * 3600 + om * 60);
    // Go keeps a fixed zone without a name; an offset of zero written as +00:00 is still UTC.
    zone = offset === 0 ? 'UTC' : '';
  }
  const frac = m[7] ? m[7].slice(1) : '';
  const nsec = frac === '' ? 0 : Number(frac.slice(0, 9).padEnd(9, '0'));
  const local = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return { sec: local - offset, nsec, offset, zone };
}
