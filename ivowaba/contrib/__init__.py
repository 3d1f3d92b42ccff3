"""Running one IVOWBA account from many processes, on engines you already run.

- :mod:`ivowaba.contrib.redis` (``pip install 'ivowaba[redis]'``): ``RedisRateLimiter``, one
  rate limit shared by every sender; ``RedisDedupStore``, webhook de-duplication shared by
  every receiver.
- :mod:`ivowaba.contrib.celery` (``pip install 'ivowaba[celery]'``): ``send_chunk_task``, a
  campaign spread over Celery workers, one chunk per task.

``import ivowaba`` imports none of these; import the module you use.
"""
