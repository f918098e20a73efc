// Copy buttons: <button data-copy="element-id">. The only script of the dashboard.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (!field) return;
  navigator.clipboard.writeText(field.value).then(function () {
    button.textContent = "Copied";
  });
});
