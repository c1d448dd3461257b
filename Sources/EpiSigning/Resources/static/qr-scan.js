// Reads one QR code from the phone's camera where the browser reads QR codes itself (BarcodeDetector);
// shared by the offline verifier (/verify) and the checkpoint page (/movement/check). Typing stays the
// other way in on both. `EpiScan.attach(button, video, onCode, onDenied)` shows the button only where
// scanning works; a click opens the rear camera, and the first code read stops it and is handed over.
var EpiScan = (function () {
  "use strict";
  function attach(button, video, onCode, onDenied) {
    if (!button || !video || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var detector = new BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.hidden = false; video.srcObject = stream; video.play();
        var timer = setInterval(function () {
          detector.detect(video).then(function (codes) {
            if (!codes.length) return;
            clearInterval(timer); stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true;
            onCode(codes[0].rawValue);
          }).catch(function () { /* a frame not ready yet: the next tick tries again */ });
        }, 300);
      }, onDenied);
    });
  }
  return { attach: attach };
})();
