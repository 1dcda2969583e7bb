#!/usr/bin/env python3
"""Back-office API scenario with Python's own xmlrpc.client and urllib.

Usage: backoffice.py URL SECRET. Exits non-zero with a message at the
first mismatch; prints one line per passed step.
"""
import http.client
import json
import sys
import urllib.request
import xmlrpc.client

URL, SECRET = sys.argv[1], sys.argv[2]
api = xmlrpc.client.ServerProxy(URL).FS.API
step = 0


def check(label, got, want):
    global step
    step += 1
    if got != want:
        sys.exit(f"step {step} {label}: got {got!r}, want {want!r}")
    print(f"ok {step} {label}")


def call(method, **kwargs):
    flat = []
    for key, value in kwargs.items():
        flat += [key, value]
    return getattr(api, method)(*flat)


# Authentication.
check("wrong secret", call("customer_info", secret="nope", custnum=1), {"error": "Incorrect shared secret"})
check("missing secret", api.customer_info("custnum", 1), {"error": "Incorrect shared secret"})

# Freeside's own example client for new_customer (expired card included).
new = call(
    "new_customer", secret=SECRET, agentnum=1, refnum=1, agent_custid="",
    first="Tofu", last="Beast", company="Bank of Soymerica",
    address1="1234 Soybean Ln.", city="Tofutown", county="", state="CA", zip=54321, country="US",
    daytime="555 444 3211", night="", fax="", mobile="123 466 3332",
    invoicing_list="tofu@example.com", postal_invoicing=1,
    payby="CARD", payinfo="4111111111111111", paydate="11/2019", paycvv="123", payname="Thomas Beast",
)
check("new_customer error", new.get("error"), "")
custnum = new["custnum"]
info = call("customer_info", secret=SECRET, custnum=int(custnum))
check("customer_info members", len(info), 35)
for key, want in [("status", "prospect"), ("statuscolor", "FF00F5"), ("daytime", "555-444-3211"),
                  ("mobile", "123-466-3332"), ("balance", "0.00"), ("name", "Tofu Beast"),
                  ("postal_invoicing", "1"), ("invoicing_list", "tofu@example.com"),
                  ("ship_address1", "1234 Soybean Ln."), ("zip", "54321")]:
    check(f"customer_info {key}", info[key], want)
check("no card number in any reply", "4111111111111111" in repr(info), False)
check("single struct param", api.customer_info({"secret": SECRET, "custnum": custnum})["name"], "Tofu Beast")
check("unknown customer", call("customer_info", secret=SECRET, custnum=999999), {"error": "Unknown custnum"})

# Payments: typed values, idempotency, errors.
paid = call("insert_payment", secret=SECRET, custnum=int(custnum), payby="CASH", paid=54.32, _date=1397977200)
check("insert_payment error", paid["error"], "")
check("balance after payment", call("customer_info", secret=SECRET, custnum=custnum)["balance"], "-54.32")
first = call("insert_payment", secret=SECRET, custnum=custnum, payby="CHEK", paid="10.00", order_number="ORD-1")
again = call("insert_payment", secret=SECRET, custnum=custnum, payby="CHEK", paid="10.00", order_number="ORD-1")
check("idempotent retry", again["paynum"], first["paynum"])
check("unknown custnum", call("insert_payment", secret=SECRET, custnum=999999, payby="CASH", paid="1"),
      {"error": "unknown cust_main.custnum: 999999", "paynum": ""})
check("bad amount", call("insert_payment", secret=SECRET, custnum=custnum, payby="CASH", paid="abc")["error"],
      "Illegal (money) paid: abc")
check("bad payby", call("insert_payment", secret=SECRET, custnum=custnum, payby="ZZZZ", paid="1")["error"],
      "Illegal payby: ZZZZ")
credit = call("insert_credit", secret=SECRET, custnum=custnum, amount="5.00")
check("insert_credit", (credit["error"], credit["crednum"] != ""), ("", True))
refund = call("insert_refund", secret=SECRET, custnum=custnum, payby="CASH", refund="2.00")
check("insert_refund", (refund["error"], refund["refundnum"] != ""), ("", True))
check("balance after all", call("customer_info", secret=SECRET, custnum=custnum)["balance"], "-67.32")
check("apply", call("apply_payments_and_credits", secret=SECRET, custnum=custnum), {"error": ""})

# Packages and sources.
sources = call("list_advertising_sources", secret=SECRET)["sources"]
check("sources", sources[0]["referral"], "Direct")
locations = call("location_info", secret=SECRET, custnum=custnum)
check("location_info", (locations["error"], len(locations["locations"])), ("", 1))

# Faults.
try:
    call("no_such_method", secret=SECRET)
    sys.exit("unknown method did not fault")
except xmlrpc.client.Fault as fault:
    check("fault code", fault.faultCode, "Client")
    check("fault string", fault.faultString.startswith("Failed to locate method (no_such_method) in class (FS::API)"), True)

# A hundred calls in a row, each on a new connection as Freeside's clients do.
for _ in range(100):
    api_new = xmlrpc.client.ServerProxy(URL).FS.API
    assert api_new.customer_info("secret", SECRET, "custnum", custnum)["error"] == ""
check("100 sequential calls", True, True)

# JSON-RPC answers the same struct as XML-RPC.
body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "FS.API.customer_info",
                   "params": {"secret": SECRET, "custnum": int(custnum)}}).encode()
request = urllib.request.Request(URL.rstrip("/") + "/jsonrpc", data=body, headers={"Content-Type": "application/json"})
answer = json.loads(urllib.request.urlopen(request).read())
check("jsonrpc id", answer["id"], 7)
check("jsonrpc result", answer["result"], call("customer_info", secret=SECRET, custnum=custnum))

# Every other method, each read also over JSON-RPC (the same struct).
def jsonrpc(method, **kwargs):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "FS.API." + method, "params": kwargs}).encode()
    req = urllib.request.Request(URL.rstrip("/") + "/jsonrpc", data=body, headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req).read())["result"]


def both(label, method, **kwargs):
    via_xml = call(method, **kwargs)
    check(label + " (JSON-RPC agrees)", jsonrpc(method, **kwargs), via_xml)
    return via_xml


check("update_customer", call("update_customer", secret=SECRET, custnum=custnum, daytime="(555) 444-9999",
                              invoicing_list="a@example.com, b@example.com"), {"error": ""})
info = both("customer_info after update", "customer_info", secret=SECRET, custnum=custnum)
check("updated daytime", info["daytime"], "555-444-9999")
check("updated invoicing_list", info["invoicing_list"], "a@example.com, b@example.com")
check("update unknown", call("update_customer", secret=SECRET, custnum=999999), {"error": "unknown custnum 999999"})
check("update without custnum", call("update_customer", secret=SECRET), {"error": "no customer record"})
check("no packages yet", both("list none", "list_customer_packages", secret=SECRET, custnum=custnum), {"error": "No packages"})
order = call("order_package", secret=SECRET, custnum=custnum, pkgpart=1)
check("order_package", order["error"], "")
pkgnum = order["pkgnum"]
check("order_package refused without the secret", call("order_package", custnum=custnum, pkgpart=1),
      {"error": "Incorrect shared secret"})
check("package_status", both("package_status", "package_status", secret=SECRET, pkgnum=pkgnum), {"status": "not yet billed"})
packages = both("list_customer_packages", "list_customer_packages", secret=SECRET, custnum=custnum)["packages"]
check("listed package", (packages[0]["pkgnum"], packages[0]["pkg"]), (pkgnum, "Mail Basic"))
check("customer_list_svcs", both("customer_list_svcs", "customer_list_svcs", secret=SECRET, custnum=custnum), {"cust_svc": []})
moved = call("change_package_location", secret=SECRET, pkgnum=pkgnum, address1="9 New St", city="Tofutown",
             state="CA", zip="54322", country="US")
check("change_package_location", (moved["pkgnum"], "error" in moved), (pkgnum, False))
check("change_package_location nothing", call("change_package_location", secret=SECRET, pkgnum=pkgnum),
      {"error": "No changes passed to method"})
billed = call("bill_now", secret=SECRET, custnum=custnum)
check("bill_now", billed, {"error": ""})
check("bill_now unknown", call("bill_now", secret=SECRET, custnum=999999), {"error": "Unknown custnum"})
after = both("customer_info after billing", "customer_info", secret=SECRET, custnum=custnum)
check("status after billing", (after["status"], after["statuscolor"]), ("active", "00CC00"))
check("package active", call("package_status", secret=SECRET, pkgnum=pkgnum), {"status": "active"})
added = call("add_advertising_source", secret=SECRET,
             source={"referral": "API test referral", "disabled": "", "agentnum": "", "title": "API test title"})
check("add_advertising_source", (added["referral"], "error" in added), ("API test referral", False))
edited = call("edit_advertising_source", secret=SECRET, refnum=added["refnum"], source={"referral": "Edit referral"})
check("edit_advertising_source", (edited["referral"], edited["title"]), ("Edit referral", "API test title"))
check("add_advertising_source empty", call("add_advertising_source", secret=SECRET, source={"referral": ""}),
      {"error": "Illegal or empty (text) referral: "})
check("email_opt_out", call("email_opt_out", secret=SECRET, address="a@example.com"), {"error": ""})
check("opted out", call("customer_info", secret=SECRET, custnum=custnum)["invoicing_list"], "b@example.com")
check("email_opt_out without @", call("email_opt_out", secret=SECRET, address="nobody"), {"error": "No e-mail address specified"})
for method in ["insert_payment_phonenum", "insert_credit_phonenum", "insert_refund_phonenum"]:
    check(method + " unknown", call(method, secret=SECRET, phonenum="3125550001", payby="CASH", paid="1", amount="1", refund="1"),
          {"error": "Unknown phonenum"})
json_paid = jsonrpc("insert_payment", secret=SECRET, custnum=int(custnum), payby="CASH", paid=12.5)
check("insert_payment over JSON-RPC", (json_paid["error"], json_paid["paynum"] != ""), ("", True))
check("JSON-RPC wrong secret is a result", jsonrpc("insert_credit", secret="bad", custnum=1, amount="1"),
      {"error": "Incorrect shared secret"})
check("JSON-RPC insert_credit error", jsonrpc("insert_credit", secret=SECRET, custnum=999999, amount="1"),
      {"error": "Unknown custnum 999999", "crednum": ""})

# HTTP/1.0 gets its answer and the connection closed.
host, port = URL.split("//")[1].rstrip("/").split(":")
connection = http.client.HTTPConnection(host, int(port))
connection._http_vsn, connection._http_vsn_str = 10, "HTTP/1.0"
connection.request("POST", "/RPC2", xmlrpc.client.dumps(("secret", SECRET, "custnum", custnum), "FS.API.customer_info"),
                   {"Content-Type": "text/xml"})
response = connection.getresponse()
check("HTTP/1.0 content type", response.getheader("Content-Type"), "text/xml")
check("HTTP/1.0 closes", (response.status, response.getheader("Connection")), (200, "close"))
print("all ok")
