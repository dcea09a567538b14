"""Meeting the real Linux kernel: private network namespaces (`netns`), packetdrill
scripts run in them (`packetdrill_run`), and the sans-IO endpoint of impl/ driven
over a TUN device against the kernel's TCP (`tun`, `driver`, `scenarios`,
`judge`). impl/ stays sans-IO: every socket, device and clock lives here.
Addresses are only ever in 198.18.0.0/15 (RFC 2544 benchmarking space), inside
a namespace the code creates and deletes itself."""
