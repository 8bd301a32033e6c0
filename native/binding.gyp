{
  "targets": [
    {
      "target_name": "parley_native",
      "sources": ["src/addon.cc", "src/srtp.cc", "src/udp.cc", "src/turn_relay.cc", "src/turn_relay_io.cc", "src/turn_relay_stun.cc", "src/media_pump.cc"],
      "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
