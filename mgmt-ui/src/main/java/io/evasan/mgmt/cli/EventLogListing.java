package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonObject;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code sanctl events --since 1h [--object O] [--severity S] [--limit N]}: the persistent event log
 * (GET /api/event-log), oldest first, one line per event: time, severity, category, object, message and who made a
 * management change; every page up to {@code --limit} events is fetched. {@code --json}: one event JSON object per line.
 */
final class EventLogListing {
    private EventLogListing() {
    }

    /** The query string of the options given (the API validates them and names a bad one). */
    static String query(String since, String object, String severity, Integer limit) {
        List<String> q = new ArrayList<>();
        add(q, "since", since);
        add(q, "object", object);
        add(q, "severity", severity);
        q.add("limit=" + (limit == null ? 1000 : Math.min(limit, 1000)));
        return String.join("&", q);
    }

    private static void add(List<String> q, String name, String v) {
        if (v != null) {
            q.add(name + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8));
        }
    }

    /** Fetches the pages (newest first) until {@code limit} events (default: all) and prints them oldest first. */
    static void print(ApiCommand cmd, String since, String object, String severity, Integer limit) {
        String base = "/api/event-log?" + query(since, object, severity, limit);
        List<JsonObject> events = new ArrayList<>();
        Long next = null;
        do {
            JsonObject page = cmd.api().get(base + (next == null ? "" : "&before=" + next)).object();
            events.addAll(ApiCommand.objects(page.getJsonArray("events")));
            next = page.getLong("next");
        } while (next != null && (limit == null || events.size() < limit));
        if (limit != null && events.size() > limit) {
            events = events.subList(0, limit);
        }
        java.util.Collections.reverse(events);
        for (JsonObject e : events) {
            if (cmd.json()) {
                cmd.out().println(e.encode());
            } else {
                String actor = e.getString("actor", "");
                String obj = e.getString("object", "");
                cmd.out().println(e.getString("time") + " " + e.getString("severity") + " " + e.getString("category")
                        + (obj.isEmpty() ? "" : " [" + obj + "]") + ": " + e.getString("message")
                        + (actor.isEmpty() ? "" : " (by " + actor + ")"));
            }
        }
        if (events.isEmpty() && !cmd.json()) {
            cmd.out().println("no events");
        }
    }
}
