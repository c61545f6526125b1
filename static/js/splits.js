// The split form: as the parts are typed, say how much of the transaction is left to divide.
// Sums are kept in integer ten-thousandths (the money column's unit), so no float rounding creeps in.
(function () {
  "use strict";
  var form = document.getElementById("split-form");
  var output = document.getElementById("split-remaining");
  if (!form || !output) { return; }
  var SCALE = 4;

  function units(text) {
    var match = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(text || "");
    if (!match || (match[2] === "" && !match[3])) { return null; }
    var fraction = (match[3] || "");
    if (fraction.length > SCALE) { return null; }
    var value = BigInt((match[2] || "0") + fraction.padEnd(SCALE, "0"));
    return match[1] === "-" ? -value : value;
  }

  function text(value) {
    var negative = value < 0n;
    var digits = (negative ? -value : value).toString().padStart(SCALE + 1, "0");
    var whole = digits.slice(0, -SCALE);
    var fraction = digits.slice(-SCALE).replace(/0{1,2}$/, "");
    return (negative ? "-" : "") + whole + "." + fraction;
  }

  var total = units(form.dataset.total);
  var currency = form.dataset.currency;

  function update() {
    var sum = 0n;
    var unreadable = false;
    form.querySelectorAll("input.split-amount").forEach(function (input) {
      if (input.value.trim() === "") { return; }
      var value = units(input.value);
      if (value === null) { unreadable = true; } else { sum += value; }
    });
    var remaining = total - sum;
    if (unreadable) {
      output.textContent = "One amount is not a number: use digits and a dot, such as -12.50.";
    } else if (remaining === 0n) {
      output.textContent = "Remaining: 0.00 " + currency + ". The parts add up exactly.";
    } else {
      output.textContent = "Remaining: " + text(remaining) + " " + currency + ". The parts must add up to " +
        text(total) + " before the split can be saved.";
    }
    output.dataset.remaining = unreadable ? "" : text(remaining);
  }

  form.addEventListener("input", update);
  update();
})();
