"""Send a few kinds of message with the async client.

python examples/send_messages.py [+62 812-3456-789]
"""

from __future__ import annotations

import asyncio
import sys

from _target import target

import ivowaba

TO = sys.argv[1] if len(sys.argv) > 1 else "+62 812-3456-789"


async def main(api_key: str | None, base_url: str | None) -> None:
    async with ivowaba.AsyncClient(api_key, base_url=base_url) as client:
        [check] = await client.contacts.check([TO])
        if not check.is_valid:
            print(f"{TO} is not on WhatsApp")
            return
        text = await client.messages.send_text(check.wa_id or TO, "Halo! Your parcel has shipped.")
        print("text:", text.id)
        template = await client.messages.send_template(
            TO, "60243665e4058d3b4a377bd2", header="PT. IVOSIGHTS", body=["Agus"], check=True
        )
        print("template:", template.id)
        buttons = await client.messages.send_reply_buttons(
            TO,
            "Did it arrive in good shape?",
            [{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}],
        )
        print("buttons:", buttons.id)


if __name__ == "__main__":
    with target() as (api_key, base_url):
        asyncio.run(main(api_key, base_url))
