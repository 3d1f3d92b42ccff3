"""The blocking client, as in a cron job or a Django view: no ``async`` anywhere.

python examples/blocking_script.py
"""

from __future__ import annotations

from _target import target

import ivowaba


def main(api_key: str | None, base_url: str | None) -> None:
    with ivowaba.Client(api_key, base_url=base_url) as client:
        for template in client.templates.iter():  # every page
            print(template.template_name, template.status, template.parameter_counts())
        try:
            client.messages.send_text("628123456789", "x" * 5000)
        except ivowaba.ValidationError as error:  # caught before any request
            print("refused:", error.field, error.rule)
        print("sent:", client.messages.send_text("628123456789", "Your code is 123456").id)


if __name__ == "__main__":
    with target() as (api_key, base_url):
        main(api_key, base_url)
