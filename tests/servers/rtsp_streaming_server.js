#!/usr/bin/node
// rtsp-streaming-server (npm, pinned in scripts/test, installed into target/rtsp-node) for
// camscan's tests: a real RTSP server for publishers (ANNOUNCE/RECORD, as ffmpeg's RTSP muxer
// sends) and for clients, on two ports. Nothing in it is configured to suit camscan: it is the
// package's own server, started as its README starts it.
//
// What the tests rely on: the package parses each request line with rtsp-stream, which throws
// `Invalid RTSP Request-Line` on anything else (`GET / HTTP/1.0`) from its socket's data handler;
// nothing catches it, so the process exits, both ports gone. A test checks it is still running
// after camscan's scans.
//
// Usage: rtsp_streaming_server.js NODE_MODULES PUBLISH_PORT CLIENT_PORT RTP_PORT_START
// Prints READY once both ports listen; exits when its stdin reaches EOF (the harness is gone).

const [modules, publishPort, clientPort, rtpStart] = process.argv.slice(2);
const RtspServer = require(`${modules}/rtsp-streaming-server`).default;

const server = new RtspServer({
  serverPort: Number(publishPort),
  clientPort: Number(clientPort),
  rtpPortStart: Number(rtpStart),
  rtpPortCount: 100,
});

server
  .start()
  .then(() => console.log('READY'))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
