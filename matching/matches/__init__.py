"""Match runs (匹配批次), proposals (推荐) and offers (录用通知)."""
