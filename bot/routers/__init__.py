"""One router per feature; :func:`bot.dispatcher.build_dispatcher` includes them in order."""
