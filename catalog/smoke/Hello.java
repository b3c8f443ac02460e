// The smoke test of the java-21 and java-25 catalog images, run by the source launcher
// (`java /smoke/Hello.java`) as nonroot on a read-only root, with the TLS files the
// mirror tests make beside it in /smoke: ca.pem, and server.pem with server-key.pem
// (PKCS#8, P-256) for 127.0.0.1, signed by that CA.
//
// It prints the Java version, what the default trust manager trusts (the one every
// TLS connection uses unless told otherwise: the image's lib/security/cacerts, which
// buckle writes from the CA bundle), and the outcome of a TLS handshake with a server
// on loopback whose certificate the client verifies, host name included.
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

public class Hello {
    private static final Path SMOKE = Path.of("/smoke");
    private static final char[] PASSWORD = "smoke".toCharArray();

    public static void main(String[] args) throws Exception {
        TrustManagerFactory defaults = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        defaults.init((KeyStore) null);
        X509Certificate[] roots = ((X509TrustManager) defaults.getTrustManagers()[0]).getAcceptedIssuers();
        boolean isrg = Arrays.stream(roots)
                .anyMatch(root -> root.getSubjectX500Principal().getName().contains("CN=ISRG Root X1"));
        System.out.println("hello from java " + Runtime.version().feature() + ", ISRG Root X1 trusted " + isrg
                + ", " + handshake() + ", " + roots.length + " CAs in the default truststore");
    }

    private static X509Certificate certificate(String file) throws Exception {
        try (InputStream in = Files.newInputStream(SMOKE.resolve(file))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static String handshake() throws Exception {
        String pem = Files.readString(SMOKE.resolve("server-key.pem"))
                .replaceAll("-----[A-Z ]+-----", "")
                .replaceAll("\\s", "");
        PrivateKey key = KeyFactory.getInstance("EC")
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        identity.setKeyEntry("server", key, PASSWORD, new Certificate[] {certificate("server.pem")});
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(identity, PASSWORD);
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keys.getKeyManagers(), null, null);

        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("smoke-ca", certificate("ca.pem"));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, trust.getTrustManagers(), null);

        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (SSLServerSocket listener =
                (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0, 1, loopback)) {
            Thread server = new Thread(() -> {
                try (SSLSocket connection = (SSLSocket) listener.accept()) {
                    connection.getOutputStream().write("tls\n".getBytes(StandardCharsets.US_ASCII));
                    connection.getOutputStream().flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            server.start();
            try (SSLSocket client =
                    (SSLSocket) clientContext.getSocketFactory().createSocket("127.0.0.1", listener.getLocalPort())) {
                SSLParameters parameters = client.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                client.setSSLParameters(parameters);
                String line = new BufferedReader(
                                new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII))
                        .readLine();
                server.join();
                return line + " over " + client.getSession().getProtocol();
            }
        }
    }
}
