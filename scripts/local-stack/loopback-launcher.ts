import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Exit code of the launcher when the port was taken between our probe and Jetty's bind. */
export const BIND_FAILED_EXIT_CODE = 3;

// DynamoDB Local's command line has no host option: its Jetty connector binds every interface.
// This launcher builds the server exactly as `-jar DynamoDBLocal.jar` does (same argument
// parsing, same telemetry switch), then pins the connector to 127.0.0.1 before it starts.
// It also exits when its stdin closes, so a parent that dies without running its exit
// handlers (SIGKILL) cannot leave an orphaned JVM behind.
const SOURCE = `
import java.lang.reflect.Field;
import java.net.BindException;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    Thread parentWatch = new Thread(() -> {
      try {
        while (System.in.read() != -1) {}
      } catch (Exception ignored) {
      }
      System.exit(0);
    });
    parentWatch.setDaemon(true);
    parentWatch.start();

    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    for (Connector connector : jetty.getConnectors()) {
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    try {
      jetty.start();
    } catch (Exception e) {
      Throwable cause = e;
      while (cause != null && !(cause instanceof BindException)) cause = cause.getCause();
      System.err.println("LoopbackDynamoDBLocal: " + e);
      System.exit(cause != null ? ${BIND_FAILED_EXIT_CODE} : 1);
    }
    System.err.println("LoopbackDynamoDBLocal: listening on 127.0.0.1");
  }
}
`;

export interface LauncherFile {
  /** Directory holding the source; also a scratch working directory for the JVM. */
  dir: string;
  file: string;
  dispose(): Promise<void>;
}

/**
 * Writes the launcher to a fresh temp directory, run with Java's single-file source mode.
 * Embedded as a string so it works from bundled scripts too, where no .java file sits beside the code.
 */
export async function writeLauncher(): Promise<LauncherFile> {
  const dir = await mkdtemp(join(tmpdir(), 'dynamodb-local-'));
  const file = join(dir, 'LoopbackDynamoDBLocal.java');
  await writeFile(file, SOURCE);
  return { dir, file, dispose: () => rm(dir, { recursive: true, force: true }) };
}
