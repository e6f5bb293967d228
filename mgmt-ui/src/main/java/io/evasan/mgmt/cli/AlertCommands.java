package io.evasan.mgmt.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** {@code sanctl alerts [show]} and {@code sanctl alerts set --rule R... --webhook URL...}: the alert rules and webhooks. */
@Command(name = "alerts", description = "Alert rules and the webhooks they are posted to (retried with backoff).",
        subcommands = {AlertCommands.Show.class, AlertCommands.Set.class})
final class AlertCommands extends ApiCommand {
    @Override
    void run() {
        show(this);
    }

    static void show(ApiCommand c) {
        c.reply(null, c.api().get("/api/alerts"), r -> print(c, r.object()));
    }

    static void print(ApiCommand c, JsonObject o) {
        c.fields("rules", o.getJsonArray("rules").isEmpty() ? "none" : joined(o.getJsonArray("rules")),
                "webhooks", o.getJsonArray("webhooks").isEmpty() ? "none" : joined(o.getJsonArray("webhooks")),
                "available rules", joined(o.getJsonArray("availableRules")));
    }

    @Command(name = "show", description = "The rules that are on and the webhooks.")
    static final class Show extends ApiCommand {
        @Override
        void run() {
            show(this);
        }
    }

    @Command(name = "set", description = "Replace the configuration: the rules to turn on and the webhooks (none: alerts off).")
    static final class Set extends ApiCommand {
        @Option(names = "--rule", paramLabel = "RULE", description = "CAPACITY_80, CAPACITY_90, DEGRADED, FAILED, DATA_LOST, CACHE_UNMIRRORED; repeatable.")
        List<String> rules = new ArrayList<>();

        @Option(names = "--webhook", paramLabel = "URL", description = "http(s) URL to POST each alert to; repeatable (at most 8).")
        List<String> webhooks = new ArrayList<>();

        @Override
        void run() {
            JsonObject body = new JsonObject().put("rules", new JsonArray(new ArrayList<Object>(rules)))
                    .put("webhooks", new JsonArray(new ArrayList<Object>(webhooks)));
            reply(null, api().put("/api/alerts", body), r -> print(this, r.object()));
        }
    }
}
