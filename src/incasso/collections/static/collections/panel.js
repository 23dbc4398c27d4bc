// Customer page side panel: after htmx loads it, "#log-call" in the URL puts the cursor in the call form.
document.addEventListener("htmx:afterSettle", function (event) {
  if (window.location.hash === "#log-call" && event.target.id === "collections-panel") {
    var field = document.getElementById("id_outcome");
    if (field) { field.focus(); field.scrollIntoView({ block: "center" }); }
  }
});
