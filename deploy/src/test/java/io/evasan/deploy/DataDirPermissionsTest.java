package io.evasan.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The data directory holds the drives, the MLD with plaintext CHAP secrets, logs and journals (issue 11, point 8):
 * it is 0700 and everything in it 0700 (directories) / 0600 (files) — what a start finds, what it creates and what
 * is created while it runs — even under a permissive process umask (this test JVM's).
 */
class DataDirPermissionsTest {
    /** Entries under {@code root} (root included) whose mode is not 0700 (directories) / 0600 (files). */
    private static List<String> broad(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isSymbolicLink(p)) {
                    continue;
                }
                String want = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "rwx------" : "rw-------";
                String got = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                if (!got.equals(want)) {
                    out.add(root.relativize(p) + " " + got);
                }
            }
        }
        return out;
    }

    private static List<String> broadWithin(Path root, long millis) throws Exception {
        long deadline = System.currentTimeMillis() + millis;
        List<String> b = broad(root);
        while (!b.isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            b = broad(root);
        }
        return b;
    }

    @Test
    void shouldKeepEverythingUnderTheDataDirectoryPrivateToItsOwner(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        Files.createDirectories(data.resolve("old/sub"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path leftover = Files.writeString(data.resolve("old/sub/secrets.txt"), "left by an older version");
        Files.setPosixFilePermissions(leftover, PosixFilePermissions.fromString("rw-r--r--"));

        EmbeddedAppliance.Options o = EmbeddedAppliance.Options.forTest(data);
        try (EmbeddedAppliance app = EmbeddedAppliance.start(o)) {
            assertEquals(List.of(), broad(data), "after start: the directory, what existed and what the start created");
            assertTrue(Files.exists(data.resolve("pool.list")) || Files.list(data).count() > 1, "the start created the pool");

            // created while running: a host with CHAP secrets (MLD), a new disk group (drive images, directories)
            HttpClient http = HttpClient.newHttpClient();
            String token = app.createdToken().orElseThrow();
            for (String[] call : new String[][] {
                {"/api/hosts", "{\"name\":\"h1\",\"initiators\":[\"iqn.2026-11.test:h1\"],\"chap\":{\"userName\":\"u\",\"secret\":\"0123456789abcdef\"}}"},
                {"/api/pool/groups", "{\"name\":\"g2\",\"drives\":6,\"driveSizeBytes\":67108864}"},
            }) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.mgmtPort() + call[0]))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(call[1])).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(201, r.statusCode(), r.body());
            }
            assertTrue(Files.isDirectory(data.resolve("drives/group-g2")), "the group's drive files are under the data directory");
            assertEquals(List.of(), broadWithin(data, 5000), "what was created while running");
        }
        assertEquals(List.of(), broad(data), "after a clean stop");
    }
}
