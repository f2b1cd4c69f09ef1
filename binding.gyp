{
  "variables": {
    "rg_cflags": ["-O3", "-std=c++17", "-fPIC", "-fexceptions", "-fno-math-errno", "-Wall", "-Wno-unused-function", "-Wno-sign-compare"]
  },
  "targets": [
    {
      "target_name": "rg_avx2",
      "type": "static_library",
      "sources": ["<!@(node scripts/gyp-sources.cjs avx2 native/src)"],
      "include_dirs": ["native/src"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["<@(rg_cflags)", "-mavx2", "-mfma", "-mf16c"]
    },
    {
      "target_name": "rg_avx512",
      "type": "static_library",
      "sources": ["<!@(node scripts/gyp-sources.cjs avx512 native/src)"],
      "include_dirs": ["native/src"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["<@(rg_cflags)", "-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl"]
    },
    {
      "target_name": "regurgitate",
      "sources": ["<!@(node scripts/gyp-sources.cjs base native/src)"],
      "dependencies": ["rg_avx2", "rg_avx512"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/src"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["<@(rg_cflags)", "-fvisibility=hidden"],
      "libraries": ["-lpthread"]
    }
  ]
}
