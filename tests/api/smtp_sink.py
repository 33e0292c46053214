"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1:PORT, writing every accepted
message, as received, to DIR/<arrival time in ns>-<uuid>.eml (written to a temporary name,
then renamed), so the names sort in arrival order across restarts.

Faults for the next message, set by a marker file in DIR: `drop-next` keeps the message and
then drops the connection before answering (the sender cannot know it arrived);
`reject-next` refuses it permanently with a 554."""
import asyncio
import os
import sys
import time
import uuid

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory

    def take_fault(self, name):
        marker = os.path.join(self.directory, name)
        if os.path.exists(marker):
            os.remove(marker)
            return True
        return False

    async def handle_DATA(self, server, session, envelope):
        if self.take_fault("reject-next"):
            return "554 5.7.1 Message refused"
        self.store(envelope)
        if self.take_fault("drop-next"):
            server.transport.close()
        return "250 OK"

    def store(self, envelope):
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex}"
        tmp = os.path.join(self.directory, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.directory, name + ".eml"))


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # runs until the test closes stdin or kills it
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
