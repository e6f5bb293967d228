package io.evasan.tests.cli;

import io.evasan.raid.JvmFlags;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The repository's {@code ./sanctl} script against a child appliance started from the shaded jar
 * (deploy/target/evasan-appliance.jar, management port 0). This module runs after deploy is packaged,
 * so in the reactor build the jar is fresh. Run alone with an older jar, the test is skipped (the script
 * would otherwise start a Maven build inside the test) — unless {@code EVASAN_CI=1} (set by
 * {@code .ci/run}), where a stale or missing jar fails it.
 */
class SanctlScriptTest {
    /** One run of the script. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path JAR = ROOT.resolve("deploy/target/evasan-appliance.jar");

    private static boolean jarIsFresh() throws IOException {
        if (!Files.isRegularFile(JAR) || !Files.isExecutable(ROOT.resolve("sanctl"))) {
            return false;
        }
        long built = Files.getLastModifiedTime(JAR).toMillis();
        try (Stream<Path> s = Files.walk(ROOT)) {
            return s.filter(p -> (p.toString().contains("/src/main/") || p.getFileName().toString().equals("pom.xml"))
                            && !p.toString().contains("/target/") && !p.toString().contains("/node_modules/"))
                    .noneMatch(p -> {
                        try {
                            return Files.getLastModifiedTime(p).toMillis() > built;
                        } catch (IOException e) {
                            return true;
                        }
                    });
        }
    }

    private static Run script(String url, String token, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("sanctl").toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(Path.of("target"), "sanctl-out", ".txt");
        Path err = Files.createTempFile(Path.of("target"), "sanctl-err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("SANCTL_URL", url);
        pb.environment().put("SANCTL_TOKEN", token);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "./sanctl did not finish");
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    @Test
    void shouldDriveAChildApplianceThroughTheScript() throws Exception {
        boolean fresh = jarIsFresh();
        if ("1".equals(System.getenv("EVASAN_CI"))) {
            assertTrue(fresh, "deploy/target/evasan-appliance.jar missing or older than the sources (EVASAN_CI=1)");
        }
        Assumptions.assumeTrue(fresh, "deploy/target/evasan-appliance.jar missing or older than the sources");
        Files.createDirectories(Path.of("target"));
        Path dir = Files.createTempDirectory(Path.of("target"), "sanctl-script-");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m"));
        cmd.add(JvmFlags.ARG_FILE);
        cmd.addAll(List.of("-jar", JAR.toString(), "--data-dir", dir.resolve("data").toString(), "--iscsi-port", "0",
                "--mgmt-port", "0", "--first-lun-size", "16777216"));
        Process app = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String url = null;
            String token = null;
            Pattern urlLine = Pattern.compile("management API (http://127\\.0\\.0\\.1:\\d+)/api");
            Pattern tokenLine = Pattern.compile("management API token \\(shown once[^)]*\\): (\\S+)");
            StringBuilder seen = new StringBuilder();
            BufferedReader in = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8));
            for (String l; (url == null || token == null) && (l = in.readLine()) != null; ) {
                seen.append(l).append('\n');
                Matcher m = urlLine.matcher(l);
                if (m.find()) {
                    url = m.group(1);
                }
                Matcher t = tokenLine.matcher(l);
                if (t.find()) {
                    token = t.group(1);
                }
            }
            assertTrue(url != null && token != null, seen::toString);
            Thread drain = new Thread(() -> {
                try {
                    in.transferTo(java.io.Writer.nullWriter());
                } catch (IOException e) {
                    // the appliance ended
                }
            });
            drain.setDaemon(true);
            drain.start();

            Run r = script(url, token, "lun", "create", "script1", "--size", "64M");
            assertEquals(0, r.exit(), r::toString);
            r = script(url, token, "lun", "list");
            assertEquals(0, r.exit(), r::toString);
            assertTrue(r.out().lines().anyMatch(l -> l.matches("script1\\s.*\\b64 MiB\\b.*")), r::toString);
            assertTrue(r.out().lines().anyMatch(l -> l.matches("lun0\\s.*\\b16 MiB\\b.*")), r::toString);
            r = script(url, token, "lun", "show", "nosuch");
            assertEquals(1, r.exit(), r::toString);
            assertEquals("sanctl: 404 no LUN named 'nosuch' (field name)\n", r.err());
            r = script(url, "wrong", "pool", "show", "--json");
            assertEquals(1, r.exit(), r::toString);
            assertTrue(r.err().startsWith("{") && r.err().contains("\"status\":401")
                    && r.err().contains("\"field\":\"Authorization\""), r::toString);   // --json: errors are JSON too
            r = script(url, "wrong", "pool", "show");
            assertEquals(1, r.exit(), r::toString);
            assertTrue(r.err().startsWith("sanctl: 401 "), r::toString);
        } finally {
            app.destroy(); // SIGTERM: the appliance's shutdown hook closes it
            if (!app.waitFor(30, TimeUnit.SECONDS)) {
                app.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
