"""Interop check: a paho-mqtt client (1.6.1 or 2.x) subscribes, publishes and receives its own message
through the MQTT Playground broker. Usage: paho_roundtrip.py PORT PROTOCOL(31|311|5) TAG"""
import sys
import threading

import paho.mqtt.client as mqtt

port, protocol_name, tag = int(sys.argv[1]), sys.argv[2], sys.argv[3]
protocol = {"31": mqtt.MQTTv31, "311": mqtt.MQTTv311, "5": mqtt.MQTTv5}[protocol_name]
topic = f"interop/{tag}"
payload = f"hello from paho {tag}".encode()

kwargs = {"client_id": f"paho-{tag}", "protocol": protocol}
if hasattr(mqtt, "CallbackAPIVersion"):  # paho-mqtt 2.x
    kwargs["callback_api_version"] = mqtt.CallbackAPIVersion.VERSION2
client = mqtt.Client(**kwargs)

subscribed = threading.Event()
received = threading.Event()
failure = []


def on_connect(c, userdata, flags, rc, *rest):
    code = getattr(rc, "value", rc)
    if code != 0:
        failure.append(f"connect refused: {rc}")
        subscribed.set()
        return
    c.subscribe(topic, qos=1)


def on_subscribe(c, *args):
    subscribed.set()


def on_message(c, userdata, message):
    if message.topic == topic and message.payload == payload:
        received.set()


client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
client.connect("127.0.0.1", port, keepalive=30)
client.loop_start()
try:
    if not subscribed.wait(30) or failure:
        sys.exit(f"FAIL {tag}: not subscribed {failure}")
    client.publish(topic, payload, qos=1).wait_for_publish(30)
    if not received.wait(30):
        sys.exit(f"FAIL {tag}: own message did not come back")
    print(f"OK {tag} paho {getattr(mqtt, '__version__', '?') if hasattr(mqtt, '__version__') else ''}")
finally:
    client.disconnect()
    client.loop_stop()
