-- wrk script for the transparent proxy benchmark (benchmarks/transparent/run.sh; see BENCHMARKS.md).
--
--   wrk -t T -c C -d 10s --latency -s post.lua URL [-- SESSION_ID]
--
-- Every request: POST of one JSON-RPC tools/call (Content-Type: application/json). Without SESSION_ID no
-- Mcp-Session-Id header is sent (the transparent proxy forwards such requests as they are); with it, every request
-- carries `Mcp-Session-Id: SESSION_ID` (the proxy then looks the session up before forwarding).
--
-- With WRK_ERA=modern in the environment every request is a 2026-07-28 one instead: `_meta` with the protocol
-- version and client capabilities in the body, `MCP-Protocol-Version: 2026-07-28`, `Mcp-Method` and `Mcp-Name`
-- mirrored from it (the transparent proxy parses such a body and checks the headers before forwarding).
--
-- With WRK_VERIFY=1 in the environment every response is checked (status 200 and a JSON-RPC result) and the
-- counts printed as `VERIFY ok=N bad=M`; that costs load-generator CPU, so run.sh uses it for warm-ups only.
-- With WRK_DELAY_MS=D in the environment every connection waits D ms before each request after its first: the
-- offered rate is capped near CONNS / (D ms + latency), so two proxies below saturation serve the same rate and their
-- CPU per request compares what each request costs, free of the throughput a saturated machine trades for it.
-- At the end one machine-readable line:
--   RESULT requests=N duration_s=S rps=R p50_ms=A p99_ms=B errors=E
-- (E = wrk's connect + read + write + timeout errors + non-2xx/3xx statuses).

local verify = os.getenv("WRK_VERIFY") == "1"
local threads = {}

wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
if os.getenv("WRK_ERA") == "modern" then
   wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"},'
      .. '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
      .. '"io.modelcontextprotocol/clientCapabilities":{}}}}'
   wrk.headers["MCP-Protocol-Version"] = "2026-07-28"
   wrk.headers["Mcp-Method"] = "tools/call"
   wrk.headers["Mcp-Name"] = "echo"
end

local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "")
if delay_ms ~= nil and delay_ms > 0 then
   function delay()
      return delay_ms
   end
end

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   if args[1] ~= nil and args[1] ~= "" then
      wrk.headers["Mcp-Session-Id"] = args[1]
      wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
   end
   req = wrk.format()
   ok, bad, first_bad = 0, 0, ""
end

function request()
   return req
end

if verify then
   function response(status, headers, body)
      if status == 200 and body:find('"result"', 1, true) ~= nil then
         ok = ok + 1
      else
         bad = bad + 1
         if first_bad == "" then
            first_bad = status .. " " .. body:sub(1, 200)
         end
      end
   end
end

function done(summary, latency, requests)
   if verify then
      local ok_total, bad_total, example = 0, 0, ""
      for _, t in ipairs(threads) do
         ok_total = ok_total + (t:get("ok") or 0)
         bad_total = bad_total + (t:get("bad") or 0)
         local fb = t:get("first_bad") or ""
         if example == "" then example = fb end
      end
      io.write(string.format("VERIFY ok=%d bad=%d%s\n", ok_total, bad_total,
         example ~= "" and (" first_bad=" .. example:gsub("[\r\n]", " ")) or ""))
   end
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format("RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.4f p99_ms=%.4f errors=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      e.connect + e.read + e.write + e.timeout + e.status))
end
