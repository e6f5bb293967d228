package io.evasan.mgmt;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped Prometheus alerting rules ({@code deploy/prometheus/evasan-alerts.yml}) name only metrics the appliance
 * exports, and the labels their annotations use ({@code $labels.x}) are labels of the metric their expression starts with.
 */
class AlertRulesFileTest {
    static final Path RULES = Path.of("..", "deploy", "prometheus", "evasan-alerts.yml");
    private static final Pattern METRIC = Pattern.compile("\\bevasan_[a-z0-9_]+");
    private static final Pattern LABEL = Pattern.compile("\\$labels\\.([a-z_]+)");

    @Test
    void shouldNameOnlyExportedMetricsAndTheirLabels() throws Exception {
        String rules = Files.readString(RULES);
        try (ApplianceFixture f = new ApplianceFixture("alerts-", c -> c)) {
            ok(f.call("POST", "/api/luns", "{\"name\":\"a1\",\"sizeBytes\":4194304}"), 201);
            String metrics = f.call("GET", "/metrics", null).body();
            List<String> alerts = new ArrayList<>();
            for (String block : rules.split("- alert: ")) {
                if (!block.contains("expr:")) {
                    continue;
                }
                String alert = block.substring(0, block.indexOf('\n')).trim();
                alerts.add(alert);
                String expr = block.substring(block.indexOf("expr:") + 5, block.indexOf('\n', block.indexOf("expr:")));
                Set<String> names = new LinkedHashSet<>();
                Matcher m = METRIC.matcher(expr);
                while (m.find()) {
                    names.add(m.group());
                }
                assertTrue(!names.isEmpty(), alert + " names no evasan metric");
                for (String n : names) {
                    assertTrue(metrics.contains("# TYPE " + n + " "), alert + ": metric " + n + " is not exported");
                }
                String first = names.iterator().next();
                Matcher l = LABEL.matcher(block);
                while (l.find()) {
                    String label = l.group(1);
                    assertTrue(metrics.lines().anyMatch(s -> s.startsWith(first + "{") && s.contains(label + "=\"")),
                            alert + ": " + first + " has no label " + label);
                }
            }
            assertEquals(List.of("EvasanDataLost", "EvasanObjectFailed", "EvasanObjectDegraded", "EvasanCacheUnmirrored",
                    "EvasanDiskGroupAbove80Percent", "EvasanDiskGroupAbove90Percent"), alerts);
        }
    }
}
