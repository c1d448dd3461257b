// On a phone, list tables become cards: each cell is labelled with its column's heading, so a row
// reads "Họ tên: …, Ngày sinh: …" instead of unlabelled text. Pages work without this script.
document.querySelectorAll("table.list").forEach(function (table) {
  var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
  if (!heads.length) return;
  table.classList.add("labelled");
  table.querySelectorAll("tbody tr").forEach(function (row) {
    Array.prototype.forEach.call(row.children, function (cell, i) {
      if (heads[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", heads[i]);
    });
  });
});
