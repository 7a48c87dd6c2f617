"""The offer (录用通知) and its road: pending → accepted | declined | expired; accepted →
confirmed | withdrawn. Her link, her SMS replies, and the routes that walk the road."""
