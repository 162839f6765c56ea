"""A local SMTP sink for the OTP e-mail test (aiosmtpd).

Listens on 127.0.0.1 on a free port, prints `PORT <n>` once ready, then one JSON line per
received message: envelope sender and recipients, decoded subject, decoded plain-text body.
Runs until its standard input closes (the test process ends or drops the pipe).
"""

import asyncio
import email
import email.policy
import json
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        print(
            json.dumps(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "from": str(message["From"]),
                    "to": str(message["To"]),
                    "subject": str(message["Subject"]),
                    "body": body.get_content() if body is not None else "",
                },
                ensure_ascii=False,
            ),
            flush=True,
        )
        return "250 Message accepted for delivery"


async def main():
    loop = asyncio.get_running_loop()
    handler = Sink()
    server = await loop.create_server(lambda: SMTP(handler, hostname="sink.local"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    # Stop when the parent closes our stdin.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
