package io.evasan.mgmt;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static io.evasan.mgmt.ManagementApiTest.assertError;
import static io.evasan.mgmt.ManagementApiTest.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTPS with {@link ManagementConfig#tls}: a self-signed certificate made at test time (the JDK's
 * keytool, then the key and certificate written as PEM), a client trusting it gets answers; a client
 * not trusting it, and plain HTTP, fail.
 */
class TlsTest {
    static Path certs;
    static Path certPem;
    static Path keyPem;
    static ApplianceFixture f;
    static SSLContext trusting;

    @BeforeAll
    static void up() throws Exception {
        certs = Files.createTempDirectory(Path.of("target"), "tls-");
        Path p12 = certs.resolve("server.p12");
        Process k = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "mgmt", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", p12.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(k.waitFor(60, TimeUnit.SECONDS) && k.exitValue() == 0, "keytool: " + out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, "changeit".toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey("mgmt", "changeit".toCharArray());
        Certificate cert = ks.getCertificate("mgmt");
        certPem = certs.resolve("cert.pem");
        keyPem = certs.resolve("key.pem");
        Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded()));   // PKCS#8

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("mgmt", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(certPem))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        trusting = SSLContext.getInstance("TLS");
        trusting.init(null, tmf.getTrustManagers(), null);

        f = new ApplianceFixture(c -> c.tls(certPem, keyPem));
        f.http = HttpClient.newBuilder().sslContext(trusting).connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    @AfterAll
    static void down() throws Exception {
        if (f != null) {
            f.close();
        }
        try (var s = Files.walk(certs)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }

    @Test
    void shouldServeHttpsToAClientTrustingTheCertificate() {
        assertEquals("https", f.server.scheme());
        JsonObject pool = new JsonObject(ok(f.call("GET", "/api/pool", null), 200).body());
        assertTrue(pool.containsKey("groups"));
        assertError(f.send("GET", "/api/pool", null, null), 401, "Authorization");
        ok(f.call("GET", "/metrics", null), 200);
    }

    @Test
    void shouldRefusePlainHttpAndUntrustingClients() {
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest http = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.port + "/api/pool"))
                .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + f.token).build();
        boolean refused;
        try {
            HttpResponse<String> r = plain.send(http, HttpResponse.BodyHandlers.ofString());
            refused = r.statusCode() != 200;   // never the API's answer over plain HTTP
        } catch (IOException e) {
            refused = true;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertTrue(refused, "plain HTTP must not reach the API");
        HttpRequest https = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + f.port + "/api/pool"))
                .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + f.token).build();
        assertThrows(IOException.class, () -> plain.send(https, HttpResponse.BodyHandlers.ofString()),
                "a client with the default trust store refuses the self-signed certificate");
    }

    @Test
    void shouldNeedBothFilesAndReadableOnes() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new ManagementConfig().tls(certPem, null));
        assertThrows(IllegalArgumentException.class, () -> new ManagementConfig().tls(null, keyPem));
        ManagementServer bad = new ManagementServer(new ManagementConfig().port(0).records(f.cell().records())
                .tls(certs.resolve("missing.pem"), keyPem), f.cell(), f.registry);
        IllegalStateException e = assertThrows(IllegalStateException.class, bad::start);
        assertTrue(e.getMessage().contains("cannot listen"), e.getMessage());
        bad.stop();
    }
}
