{
  "targets": [
    {
      "target_name": "parley_native",
      "sources": ["src/addon.cc", "src/srtp.cc", "src/udp.cc", "src/turn_relay.cc", "src/turn_relay_io.cc", "src/turn_relay_stun.cc", "src/media_pump.cc", "src/media_pump_api.cc", "src/media_pump_args.cc", "src/media_pump_rewrite.cc"],
      "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
