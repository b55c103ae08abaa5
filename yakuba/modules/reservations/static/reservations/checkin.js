// The check-in page's camera: reads tickets' QR codes with the browser's own BarcodeDetector
// (Chrome on Android and others) and hands what it read to the check-in form, which htmx posts
// without leaving the page. Where the browser has no detector the camera part stays hidden and
// staff type the ticket's number; without JavaScript the form posts as a plain form.
(function () {
  "use strict";
  var camera = document.getElementById("checkin-camera");
  var form = document.getElementById("checkin-form");
  if (!camera || !form) {
    return;
  }
  var input = form.querySelector("input[name=code]");
  var video = document.getElementById("camera-video");
  var startButton = document.getElementById("camera-start");
  var stopButton = document.getElementById("camera-stop");
  var message = document.getElementById("camera-message");
  var unsupported = document.getElementById("camera-unsupported");
  // A ticket held in front of the camera is read many times a second: send it once.
  var REPEAT_MS = 4000;
  var SCAN_EVERY_MS = 250;
  var detector = null;
  var stream = null;
  var timer = null;
  var last = "";
  var lastAt = 0;

  // Ready for the next ticket, scanned or typed.
  form.addEventListener("htmx:afterRequest", function () {
    input.value = "";
    if (!stream) {
      input.focus();
    }
  });

  function cannotScan() {
    unsupported.hidden = false;
  }

  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    cannotScan();
    return;
  }

  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") === -1) {
      cannotScan();
      return;
    }
    detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    camera.hidden = false;
  }, cannotScan);

  function scan() {
    if (!stream) {
      return;
    }
    detector.detect(video).then(function (codes) {
      if (codes.length) {
        found(codes[0].rawValue);
      }
    }).catch(function () {
      // A frame that could not be read (the video not ready yet): try the next one.
    }).then(function () {
      if (stream) {
        timer = window.setTimeout(scan, SCAN_EVERY_MS);
      }
    });
  }

  function found(value) {
    var now = Date.now();
    if (value === last && now - lastAt < REPEAT_MS) {
      return;
    }
    last = value;
    lastAt = now;
    input.value = value;
    if (navigator.vibrate) {
      navigator.vibrate(80);
    }
    form.requestSubmit();
  }

  function start() {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (opened) {
        stream = opened;
        video.srcObject = opened;
        video.hidden = false;
        return video.play();
      })
      .then(function () {
        startButton.hidden = true;
        stopButton.hidden = false;
        message.textContent = camera.dataset.scanning;
        scan();
      })
      .catch(function () {
        stop();
        message.textContent = camera.dataset.denied;
      });
  }

  function stop() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      message.textContent = camera.dataset.stopped;
    }
    stream = null;
    window.clearTimeout(timer);
    video.srcObject = null;
    video.hidden = true;
    startButton.hidden = false;
    stopButton.hidden = true;
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", function () {
    stop();
    startButton.focus();
  });
  // The camera is not left running in a pocket.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      stop();
    }
  });
})();
