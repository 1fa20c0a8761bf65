// The frame stamp reader: the wall-clock time (ms since the epoch) that tests/servers/rtsp_server.py
// ("stamp": true) paints as a barcode into the top of every frame, read back from RGBA pixels.
// live.mjs runs `decodeStamp` inside the page (its source is injected, so it uses nothing from
// outside its own body) on a canvas the video was drawn into; run directly it reads raw RGBA
// frames from stdin, as ffmpeg writes them, to check the reader against the source:
//
//   ffmpeg -rtsp_transport tcp -i rtsp://... -frames:v 3 -f rawvideo -pix_fmt rgba - \
//     | node stamp.mjs 640 360
//
// prints one JSON line {"frames": N, "decoded": D, "stamps": [...], "delays_ms": [...]}.
//
// Layout (rtsp_server.py's docstring, "Frame stamps"): block size s = width / 40; two rows of 40
// blocks in the top 2*s lines, white (Y 235) = 1, black (Y 16) = 0; each row: guards 1,0,1,0, 32
// data bits MSB first, guards 0,1,0,1; the 64 data bits (row 0 then row 1) are the 48-bit time in
// ms then a 16-bit check (t ^ t>>16 ^ t>>32) & 0xFFFF. The reader samples the middle half of each
// block, thresholds at the mean of the guards' white and black, checks the guards and the check
// bits, and only then trusts the time; anything else gives null.

export function decodeStamp(rgba, width, height) {
  const BLOCKS = 40;
  const s = width / BLOCKS; // not floored: a scaled picture keeps the proportions
  if (s < 2 || height < 2 * s) return null;
  const levels = [];
  for (let r = 0; r < 2; r++) {
    const row = [];
    const y0 = Math.round(r * s + s / 4);
    const y1 = Math.max(y0 + 1, Math.round(r * s + (3 * s) / 4));
    for (let b = 0; b < BLOCKS; b++) {
      const x0 = Math.round(b * s + s / 4);
      const x1 = Math.max(x0 + 1, Math.round(b * s + (3 * s) / 4));
      let sum = 0;
      let n = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const i = (y * width + x) * 4;
          // BT.601 luma of the decoded RGB (the browser may use either range: the threshold adapts).
          sum += 0.299 * rgba[i] + 0.587 * rgba[i + 1] + 0.114 * rgba[i + 2];
          n++;
        }
      }
      row.push(sum / n);
    }
    levels.push(row);
  }
  const LEFT = [1, 0, 1, 0];
  const RIGHT = [0, 1, 0, 1];
  let white = 0;
  let black = 0;
  for (const row of levels) {
    for (let g = 0; g < 4; g++) {
      (LEFT[g] ? (white += row[g]) : (black += row[g]));
      (RIGHT[g] ? (white += row[36 + g]) : (black += row[36 + g]));
    }
  }
  white /= 8;
  black /= 8;
  if (white - black < 60) return null; // no contrast: not a stamp (or a black frame)
  const threshold = (white + black) / 2;
  let word = 0n;
  for (const row of levels) {
    const bits = row.map((v) => (v > threshold ? 1 : 0));
    for (let g = 0; g < 4; g++) {
      if (bits[g] !== LEFT[g] || bits[36 + g] !== RIGHT[g]) return null;
    }
    for (let i = 4; i < 36; i++) word = (word << 1n) | BigInt(bits[i]);
  }
  const t = word >> 16n;
  const check = word & 0xffffn;
  if (((t ^ (t >> 16n) ^ (t >> 32n)) & 0xffffn) !== check) return null;
  return Number(t);
}

// Run directly: raw RGBA frames of WIDTH x HEIGHT on stdin.
if (import.meta.url === `file://${process.argv[1]}`) {
  const width = Number(process.argv[2]);
  const height = Number(process.argv[3]);
  if (!(width > 0 && height > 0)) {
    console.error("usage: node stamp.mjs WIDTH HEIGHT < frames.rgba");
    process.exit(2);
  }
  const size = width * height * 4;
  const chunks = [];
  let frames = 0;
  const stamps = [];
  const delays = [];
  let pending = Buffer.alloc(0);
  for await (const chunk of process.stdin) {
    const now = Date.now();
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= size) {
      const frame = pending.subarray(0, size);
      pending = pending.subarray(size);
      frames++;
      const t = decodeStamp(frame, width, height);
      if (t !== null) {
        stamps.push(t);
        delays.push(now - t);
      }
    }
  }
  chunks.length = 0;
  console.log(JSON.stringify({ frames, decoded: stamps.length, stamps, delays_ms: delays }));
}
