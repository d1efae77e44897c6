/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * Test harness only: Debian 12 ships Tomcat 9 as libraries
 * (libtomcat9-java) but not as a server, so standin.sh runs the javax
 * stand-in WAR in an embedded Tomcat 9 to prove the Tomcat 9 build works.
 *   java Tomcat9Run BASEDIR PORT CONTEXTPATH WAR
 * Listens on 127.0.0.1 only; stops on SIGTERM.
 */
import org.apache.catalina.startup.Tomcat;

public class Tomcat9Run {
	public static void main(String[] args) throws Exception {
		if (args.length != 4) {
			System.err.println("usage: Tomcat9Run BASEDIR PORT CONTEXT WAR");
			System.exit(2);
		}
		Tomcat t = new Tomcat();
		t.setBaseDir(args[0]);
		t.setPort(Integer.parseInt(args[1]));
		t.getConnector().setProperty("address", "127.0.0.1");
		t.getHost().setAppBase(args[0] + "/webapps");
		t.addWebapp(args[2], args[3]);
		t.start();
		t.getServer().await();
	}
}
