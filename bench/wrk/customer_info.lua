-- wrk script: FS.API.customer_info over and over.
-- Usage: SECRET=... CUSTNUM=1 wrk -t2 -c32 -d10s -s bench/wrk/customer_info.lua http://127.0.0.1:8008/
local secret = os.getenv("SECRET") or ""
local custnum = os.getenv("CUSTNUM") or "1"
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml"
wrk.body = '<?xml version="1.0"?><methodCall><methodName>FS.API.customer_info</methodName><params>'
  .. '<param><value><string>secret</string></value></param><param><value><string>' .. secret .. '</string></value></param>'
  .. '<param><value><string>custnum</string></value></param><param><value><int>' .. custnum .. '</int></value></param>'
  .. '</params></methodCall>'
