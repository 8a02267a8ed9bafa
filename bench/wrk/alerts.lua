-- POST /api/v2/alerts bodies for the throughput phases.
-- wrk -t1 -cN -d12s -s alerts.lua URL -- <alerts per request> <new|dedup> <identities> <tag>
-- new: every alert a new identity (its own aggregation group); dedup: `identities` cycled, so after
-- priming every alert is a re-send of an open alert.

local per, mode, identities, tag
local counter = 0

function init(args)
  per = tonumber(args[1])
  mode = args[2]
  identities = tonumber(args[3])
  tag = args[4]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local template = '{"labels":{"alertname":"Bench%s","instance":"bid-%s-%d","group":"bid-%s-%d",'
  .. '"service":"svc-%d","severity":"warning"},"annotations":{"summary":"bench alert %d"},'
  .. '"generatorURL":"http://bench.local/graph"}'

function request()
  local parts = {}
  for i = 1, per do
    local n = counter
    counter = counter + 1
    if mode == "dedup" then
      n = n % identities
    end
    parts[i] = string.format(template, tag, tag, n, tag, n, n % 100, n)
  end
  return wrk.format(nil, nil, nil, "[" .. table.concat(parts, ",") .. "]")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
      .. '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
