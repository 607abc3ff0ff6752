-- wrk script for the Streamable HTTP benchmark (benchmarks/streamable/run.sh; see BENCHMARKS.md).
--
--   wrk -t T -c C -d 10s --latency -s mcp.lua URL -- SESSIONS_FILE T MODE RUN
--
-- SESSIONS_FILE: one Mcp-Session-Id per line, opened (initialize + notifications/initialized) before wrk starts;
--   run.sh writes exactly C of them. Thread i takes lines i, i+T, i+2T, ... and its requests go round-robin over
--   them, so C connections use C sessions, about one request in flight per session.
-- T:    the wrk thread count (the same number as -t).
-- MODE: json -> tools/call echo (the backend's response comes first: application/json answer);
--       sse  -> tools/call echo_progress with params._meta.progressToken (a progress notification comes first:
--               text/event-stream answer);
--       modern -> tools/call echo as a 2026-07-28 request: no session (SESSIONS_FILE only sets how the
--               connections split), the version, client info and capabilities in params._meta and the
--               mirrored Mcp-Method / Mcp-Name headers.
-- RUN:  a small integer that makes request ids unique across the wrk runs against the same sessions.
--
-- With WRK_VERIFY=1 in the environment the script also checks every response (status 200, a JSON-RPC result,
-- no error, and for sse a text/event-stream body carrying the progress notification) and prints the counts; that
-- costs load-generator CPU, so run.sh uses it for the warm-up run only.
--
-- With WRK_DELAY_MS=D in the environment every connection waits D ms before each request after its first (see
-- benchmarks/transparent/post.lua: the same rate for both sides of an A/B below saturation).
--
-- At the end it prints one machine-readable line:
--   RESULT requests=N duration_s=S rps=R p50_ms=A p99_ms=B errors=E
-- (E = wrk's connect + read + write + timeout errors + non-2xx/3xx statuses).

local verify = os.getenv("WRK_VERIFY") == "1"
local threads = {}
local counter = 0
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "")

if delay_ms ~= nil and delay_ms > 0 then
   function delay()
      return delay_ms
   end
end

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local file, nthreads, run = args[1], tonumber(args[2]), tonumber(args[4] or "0")
   mode = args[3] or "json"
   sessions = {}
   local i = 0
   for line in io.lines(file) do
      if line ~= "" then
         if i % nthreads == tid then
            table.insert(sessions, line)
         end
         i = i + 1
      end
   end
   if #sessions == 0 then
      error("no session for wrk thread " .. tid .. " in " .. file)
   end
   if mode == "sse" then
      template = '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"echo_progress",'
         .. '"arguments":{"text":"hello"},"_meta":{"progressToken":%d}}}'
   elseif mode == "modern" then
      template = '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"echo",'
         .. '"arguments":{"text":"hello"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
         .. '"io.modelcontextprotocol/clientInfo":{"name":"wrk","version":"1"},'
         .. '"io.modelcontextprotocol/clientCapabilities":{}}}}'
   else
      template = '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"echo",'
         .. '"arguments":{"text":"hello"}}}'
   end
   -- The request head of each session is built once; per request only the id, the body and its length change
   -- (cheaper for the load generator than wrk.format, which rebuilds every header line).
   heads = {}
   for j, sid in ipairs(sessions) do
      local era = "MCP-Protocol-Version: 2025-06-18\r\nMcp-Session-Id: " .. sid .. "\r\n"
      if mode == "modern" then
         era = "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: echo\r\n"
      end
      heads[j] = "POST " .. wrk.path .. " HTTP/1.1\r\n"
         .. "Host: " .. wrk.headers["Host"] .. "\r\n"
         .. "Content-Type: application/json\r\n"
         .. "Accept: application/json, text/event-stream\r\n"
         .. era
         .. "Content-Length: "
   end
   next_id = run * 1000000000 + tid * 100000000
   k = 0
   ok, bad, first_bad = 0, 0, ""
end

function request()
   next_id = next_id + 1
   k = k % #heads + 1
   local body = string.format(template, next_id, next_id)
   return heads[k] .. #body .. "\r\n\r\n" .. body
end

if verify then
   function response(status, headers, body)
      local ctype = headers["Content-Type"] or headers["content-type"] or ""
      local good = status == 200 and body:find('"result"', 1, true) ~= nil and body:find('"error"', 1, true) == nil
      if mode == "sse" then
         good = good and ctype:find("text/event-stream", 1, true) ~= nil
            and body:find("notifications/progress", 1, true) ~= nil
      end
      if good then
         ok = ok + 1
      else
         bad = bad + 1
         if first_bad == "" then
            first_bad = status .. " " .. ctype .. " " .. body:sub(1, 200)
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
