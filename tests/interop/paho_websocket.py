"""Interop check: paho-mqtt 2.x over WebSocket (path /mqtt, subprotocol "mqtt") publishes and receives its own
message through the MQTT Playground broker's WebSocket port. Usage: paho_websocket.py WS_PORT PROTOCOL(311|5)"""
import sys
import threading

import paho.mqtt.client as mqtt

port, protocol_name = int(sys.argv[1]), sys.argv[2]
protocol = {"311": mqtt.MQTTv311, "5": mqtt.MQTTv5}[protocol_name]
topic = f"interop/ws{protocol_name}"
payload = f"hello over websocket {protocol_name}".encode()
client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"paho-ws-{protocol_name}",
                     protocol=protocol, transport="websockets")
client.ws_set_options(path="/mqtt")
subscribed, received = threading.Event(), threading.Event()
client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
client.on_subscribe = lambda c, *a: subscribed.set()
client.on_message = lambda c, u, m: received.set() if m.payload == payload else None
client.connect("127.0.0.1", port, keepalive=30)
client.loop_start()
try:
    if not subscribed.wait(30):
        sys.exit("FAIL: not subscribed over websocket")
    client.publish(topic, payload, qos=1).wait_for_publish(30)
    if not received.wait(30):
        sys.exit("FAIL: own message did not come back over websocket")
    print("OK websocket", protocol_name)
finally:
    client.disconnect()
    client.loop_stop()
