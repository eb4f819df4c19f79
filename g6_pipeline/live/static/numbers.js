// G6 page numbers: the digit grouping and quantity unit the server configured (display.digit_grouping and
// display.quantities, given on <html> as data-number-locale and data-quantities), the same rule as the
// terminal views (g6_pipeline/live/numbers.py): Intl rounds half away from zero, as they do.
"use strict";

window.G6Numbers = (function () {
  const DASH = "-";
  const root = document.documentElement;
  const locale = root.dataset.numberLocale || "en-IN";
  const quantities = root.dataset.quantities === "units" ? "units" : "contracts";
  const formats = {};

  function isNum(v) { return typeof v === "number" && isFinite(v); }

  // value with `digits` decimals and grouped digits; "+" before a positive one when `signed`; a dash when missing
  function number(value, digits, signed) {
    if (!isNum(value)) return DASH;
    const d = digits === undefined ? 2 : digits;
    if (!formats[d]) formats[d] = new Intl.NumberFormat(locale, { minimumFractionDigits: d, maximumFractionDigits: d });
    let text = formats[d].format(value);
    if (text.startsWith("-") && !/[1-9]/.test(text)) text = text.slice(1);  // a value that rounds to zero has no sign
    return signed && !text.startsWith("-") && /[1-9]/.test(text) ? "+" + text : text;
  }

  // a strike as listed: whole rupees, or its decimals when it has them (a stock's 187.5)
  function strike(value) {
    if (!isNum(value)) return DASH;
    return number(value, Number.isInteger(value) ? 0 : Number.isInteger(value * 10) ? 1 : 2);
  }

  function percent(fraction, digits) {
    return isNum(fraction) ? number(100 * fraction, digits === undefined ? 1 : digits) + "%" : DASH;
  }

  // an OI, volume or order quantity stored in units, in the configured unit (null when it cannot be told)
  function quantity(units, lot) {
    if (!isNum(units)) return null;
    if (quantities === "units") return units;
    return isNum(lot) && lot > 0 ? units / lot : null;
  }

  return { DASH: DASH, isNum: isNum, number: number, strike: strike, percent: percent, quantity: quantity,
    quantities: quantities };
})();
