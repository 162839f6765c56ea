// CSV for the locker import: RFC 4180 fields (quotes, doubled quotes, commas and line
// breaks inside quotes), rows mapped to `POST /api/v1/lockers` bodies. Two headers are
// understood: the CLI's (`locker lockers import`, price in major units) and the API's.

/** Rows of `text` as arrays of trimmed strings; blank lines are skipped. */
export function parse(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endField = () => { row.push(field.trim()); field = ""; };
  const endRow = () => {
    endField();
    if (row.some((f) => f !== "")) rows.push({ line: rowLine, fields: row });
    row = [];
    rowLine = line;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else { if (c === "\n") line++; field += c; }
    } else if (c === '"') quoted = true;
    else if (c === ",") endField();
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      line++;
      endRow();
    } else field += c;
  }
  if (field !== "" || row.length) endRow();
  return rows;
}

const CLI = ["code", "station", "location", "size", "controller", "relay_channel", "sensor_channel", "price"];
const API = ["locker_code", "location", "size", "esp32_id", "relay_pin", "sensor_pin", "price_per_hour"];

/** "2.00" (major units) to 200 minor units, or NaN. */
export function minor(price) {
  if (price === "" || price === undefined) return 0;
  if (!/^\d+(\.\d{1,2})?$/.test(price)) return NaN;
  const [a, b = ""] = price.split(".");
  return Number(a) * 100 + Number((b + "00").slice(0, 2));
}

/**
 * The lockers of a CSV text: `{line, body}` for each row, or `{line, error}` where a row
 * cannot be read. Throws on an unknown header.
 */
export function lockers(text) {
  const rows = parse(text.replace(/^\uFEFF/, ""));
  if (!rows.length) return [];
  const header = rows[0].fields.map((h) => h.toLowerCase());
  const cli = header.join(",") === CLI.join(",");
  if (!cli && header.join(",") !== API.join(",")) {
    throw new Error(`header: ${CLI.join(",")} | ${API.join(",")}`);
  }
  return rows.slice(1).map(({ line, fields }) => {
    if (fields.length !== header.length) return { line, error: `${header.length} fields expected, ${fields.length} found` };
    const f = Object.fromEntries(header.map((h, i) => [h, fields[i]]));
    const int = (v) => (/^\d+$/.test(v) ? Number(v) : NaN);
    const body = cli
      ? { locker_code: f.code, location: f.location, size: f.size, esp32_id: f.controller || null,
          relay_pin: int(f.relay_channel), sensor_pin: int(f.sensor_channel), price_per_hour: minor(f.price) }
      : { locker_code: f.locker_code, location: f.location, size: f.size, esp32_id: f.esp32_id || null,
          relay_pin: int(f.relay_pin), sensor_pin: int(f.sensor_pin), price_per_hour: f.price_per_hour === "" ? 0 : int(f.price_per_hour) };
    for (const k of ["relay_pin", "sensor_pin", "price_per_hour"]) {
      if (Number.isNaN(body[k])) return { line, error: `${k}: not a number` };
    }
    return { line, body };
  });
}
