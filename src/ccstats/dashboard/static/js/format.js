// Human units: h:mm:ss for seconds, thousands separators for counts, hh:mm for slots,
// percentages with one decimal for ratios.

const integers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimals = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const tenths = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** 3725 -> "1:02:05"; hours get thousands separators ("1,234:00:00"). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const sign = seconds < 0 ? "-" : "";
  const whole = Math.round(Math.abs(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  return `${sign}${integers.format(hours)}:${String(minutes).padStart(2, "0")}:${String(rest).padStart(2, "0")}`;
}

/** 12345 -> "12,345" (in the browser's locale). */
export function count(value) {
  if (value === null || value === undefined) return "";
  return integers.format(value);
}

/** A number with at most one decimal, for chart axes and tooltips. */
export function decimal(value) {
  return decimals.format(value);
}

/** `numerator / denominator * scale` rounded half away from zero to a whole number.
 * Exact (BigInt) for the API's non-negative integer numerators and denominators, so a
 * value shown is never one rounding away from the ratio itself. */
export function quotient(numerator, denominator, scale = 1) {
  const twice = 2n * BigInt(numerator) * BigInt(scale);
  const divisor = BigInt(denominator);
  return Number((twice + divisor) / (2n * divisor));
}

/** 13 of 16 -> "81.3%": the ratio as a percentage with one decimal. */
export function percent(numerator, denominator) {
  return `${tenths.format(quotient(numerator, denominator, 1000) / 10)}%`;
}

/** A ratio the API gives as a number of at most four decimals (0.8125) -> "81.3%",
 * rounded half away from zero from its exact decimal digits. */
export function share(ratio) {
  return `${tenths.format(quotient(Math.round(ratio * 10_000), 10) / 10)}%`;
}

/** The API's slot start (1415) -> "14:15". */
export function slot(time) {
  const hours = Math.floor(time / 100);
  return `${String(hours).padStart(2, "0")}:${String(time % 100).padStart(2, "0")}`;
}

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** Monday = 0 ... Sunday = 6 of an API date "yyyy-mm-dd" (a calendar date, no zone). */
export function weekday(date) {
  const [year, month, day] = date.split("-").map(Number);
  return (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
}
