"""A mailbox for the fuzzing's server: an SMTP server on loopback that keeps every email.

Usage: mailbox.py PORT FILE

The server under fuzzing sends its emails here (SMTP_URL=smtp://127.0.0.1:PORT), as a person's
mail client would receive them; each is appended to FILE, decoded, between separator lines.
fuzz/dictionaries.py reads the one-time links' tokens out of it (an invitation, a password
reset), so the operations that take them are fuzzed with real ones. Plain SMTP, no extensions:
what the server's relay client needs, nothing more.
"""

import asyncio
import email
import email.policy
import sys

SEPARATOR = "\n----- email -----\n"


async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> None:
    def reply(line: str) -> None:
        writer.write(f"{line}\r\n".encode())

    reply("220 mailbox ready")
    while line := (await reader.readline()).decode("utf-8", "replace").strip():
        verb = line.split(" ", 1)[0].upper()
        if verb in ("EHLO", "HELO"):
            reply("250 mailbox")
        elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
            reply("250 ok")
        elif verb == "DATA":
            reply("354 end with a line holding a dot")
            await writer.drain()
            keep(await reader.readuntil(b"\r\n.\r\n"), path)
            reply("250 kept")
        elif verb == "QUIT":
            reply("221 bye")
            break
        else:
            reply("502 not implemented")
        await writer.drain()
    await writer.drain()
    writer.close()


def keep(data: bytes, path: str) -> None:
    """Appends the message's decoded text parts to the mailbox file."""
    lines = data[: -len(b"\r\n.\r\n")].split(b"\r\n")
    raw = b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [message] if not message.is_multipart() else list(message.walk())
    text = [
        part.get_content()
        for part in parts
        if part.get_content_maintype() == "text" and not part.is_multipart()
    ]
    with open(path, "a", encoding="utf-8") as mailbox:
        mailbox.write(SEPARATOR + f"To: {message['to']}\n" + "\n".join(text))


async def main(port: int, path: str) -> None:
    server = await asyncio.start_server(
        lambda r, w: session(r, w, path), host="127.0.0.1", port=port
    )
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
