// The live camera: getUserMedia into a <video>, a frame as a JPEG blob, and QR scanning
// with the vendored jsQR (window.jsQR, loaded by the page as a classic script).

let stream = null;

/** Starts the camera into `video`; resolves once frames arrive. */
export async function start(video) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw cameraError();
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
  } catch {
    throw cameraError();
  }
  video.srcObject = stream;
  await video.play().catch(() => {});
  while (!video.videoWidth || video.readyState < 2) {
    if (!stream) throw cameraError();
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops the camera. */
export function stop(video) {
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  if (video) video.srcObject = null;
}

function cameraError() {
  const err = new Error('camera unavailable');
  err.kioskKey = 'error.noCamera';
  return err;
}

function draw(video) {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  return { canvas, ctx };
}

/** The current frame of `video` as a JPEG blob. */
export function snapshot(video) {
  const { canvas } = draw(video);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(cameraError())), 'image/jpeg', 0.92),
  );
}

/** Scans frames of `video` for a QR code until one is read (its text) or `signal` aborts. */
export function scanQr(video, signal) {
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (signal.aborted) return reject(new DOMException('aborted', 'AbortError'));
      if (window.jsQR && video.videoWidth) {
        const { canvas, ctx } = draw(video);
        const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' });
        if (found && found.data) return resolve(found.data.trim());
      }
      setTimeout(tick, 150);
    };
    tick();
  });
}
