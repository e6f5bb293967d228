package io.evasan.mgmt.cli;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for 127.0.0.1 and localhost made with the JDK's keytool: the PKCS#12 store,
 * the certificate as PEM (what --cacert takes) and the private key as PKCS#8 PEM (what a server takes).
 */
final class TestCerts {
    static final char[] PASSWORD = "changeit".toCharArray();
    final Path p12;
    final Path certPem;
    final Path keyPem;

    private TestCerts(Path p12, Path certPem, Path keyPem) {
        this.p12 = p12;
        this.certPem = certPem;
        this.keyPem = keyPem;
    }

    private static final java.util.Map<String, TestCerts> SHARED = new java.util.concurrent.ConcurrentHashMap<>();

    /** The certificate {@code name}, made once per test JVM under target/sanctl-tls (keytool is a JVM start). */
    static synchronized TestCerts shared(String name) throws Exception {
        TestCerts c = SHARED.get(name);
        if (c == null) {
            c = create(Path.of("target", "sanctl-tls"), name);
            SHARED.put(name, c);
        }
        return c;
    }

    static TestCerts create(Path dir, String name) throws Exception {
        Files.createDirectories(dir);
        Path p12 = dir.resolve(name + ".p12");
        Files.deleteIfExists(p12);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "appliance", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", p12.toString(), "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
        KeyStore ks = load(p12);
        Path cert = dir.resolve(name + "-cert.pem");
        Files.writeString(cert, pem("CERTIFICATE", ks.getCertificate("appliance").getEncoded()));
        Path key = dir.resolve(name + "-key.pem");
        Files.writeString(key, pem("PRIVATE KEY", ((PrivateKey) ks.getKey("appliance", PASSWORD)).getEncoded()));
        return new TestCerts(p12, cert, key);
    }

    private static KeyStore load(Path p12) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, PASSWORD);
        }
        return ks;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** A server-side TLS context presenting this certificate. */
    SSLContext serverContext() throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(p12), PASSWORD);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }
}
