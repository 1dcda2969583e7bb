-- wrk script: FS.API.insert_payment for one customer over and over (each a
-- new, durable payment).
-- Usage: SECRET=... CUSTNUM=1 wrk -t2 -c32 -d10s -s bench/wrk/insert_payment.lua http://127.0.0.1:8008/
local secret = os.getenv("SECRET") or ""
local custnum = os.getenv("CUSTNUM") or "1"
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml"
wrk.body = '<?xml version="1.0"?><methodCall><methodName>FS.API.insert_payment</methodName><params>'
  .. '<param><value><string>secret</string></value></param><param><value><string>' .. secret .. '</string></value></param>'
  .. '<param><value><string>custnum</string></value></param><param><value><int>' .. custnum .. '</int></value></param>'
  .. '<param><value><string>payby</string></value></param><param><value><string>CASH</string></value></param>'
  .. '<param><value><string>paid</string></value></param><param><value><double>1.00</double></value></param>'
  .. '</params></methodCall>'
