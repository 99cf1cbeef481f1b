/* Heartbeat: tells the passport this page is still open, so that it can stop by itself
   once the browser is closed, and warns when the key is pulled out or the passport stops.
   Pages work without it: this only adds the warnings and the automatic stop. */
(function () {
  "use strict";
  var script = document.currentScript;
  var beatUrl = script && script.getAttribute("data-beat");
  var everyMs = Number(script && script.getAttribute("data-every")) || 30000;
  if (!beatUrl || !window.fetch) { return; }
  var active = false;
  var failures = 0;

  ["keydown", "pointerdown", "input", "scroll", "focusin"].forEach(function (type) {
    window.addEventListener(type, function () { active = true; }, { passive: true, capture: true });
  });

  function show(id, visible) {
    var element = document.getElementById(id);
    if (element) { element.hidden = !visible; }
  }

  function answer(state) {
    failures = 0;
    show("cle-absente", !state.cle);
    show("passeport-ferme", !state.ouvert);
  }

  function beat() {
    var url = beatUrl + (active ? "?actif=1" : "");
    active = false;
    window.fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(answer)
      .catch(function () {
        failures += 1;
        if (failures >= 2) { show("cle-absente", false); show("passeport-ferme", true); }
      });
  }

  beat();
  window.setInterval(beat, everyMs);
}());
