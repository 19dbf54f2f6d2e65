-- verdict.lua - example Lua rule action for trawl (docs/rules.md "Lua").
-- verdict(msg) is called for each message the rule matched. msg is
-- read-only: msg.method, msg.status, msg.call_id, msg.src, msg.payload,
-- msg:header("X-Name") ... Return a verdict ("send", "drop", "continue",
-- "default" or nil = the rule's own action) and optionally a table of tags.
-- Errors, and running past the instruction or memory limit, are counted
-- and the rule's own action applies: a script never stops capture.
function verdict(msg)
  local reason = msg.reason or ""
  if msg.status == 503 and reason:find("Maintenance") then
    return "drop"
  end
  return "default", { status_class = tostring(msg.status // 100) .. "xx" }
end
