// POST {site}/publishxml: the publishData document az webapp create parses (xmltodict) for its FTP
// publishing URL, with App Service's three profiles. Attribute values are XML-escaped.
import type { SiteDocument } from "./sites";

function attr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function profile(attributes: Record<string, string>): string {
  const text = Object.entries(attributes).map(([k, v]) => `${k}="${attr(v)}"`).join(" ");
  return `<publishProfile ${text}><databases /></publishProfile>`;
}

export function publishData(doc: SiteDocument, password: string): string {
  const name = doc.name;
  const scm = `${name.toLowerCase()}.scm.azurewebsites.net:443`;
  const appUrl = `https://${String(doc.properties.defaultHostName)}`;
  const common = { SQLServerDBConnectionString: "", mySQLDBConnectionString: "", hostingProviderForumLink: "", controlPanelLink: "https://portal.azure.com", webSystem: "WebSites" };
  return (
    "<publishData>" +
    profile({ profileName: `${name} - Web Deploy`, publishMethod: "MSDeploy", publishUrl: scm, msdeploySite: name, userName: `$${name}`, userPWD: password, destinationAppUrl: appUrl, ...common }) +
    profile({ profileName: `${name} - FTP`, publishMethod: "FTP", publishUrl: `ftps://waws-prod-emu-001.ftp.azurewebsites.windows.net/site/wwwroot`, ftpPassiveMode: "True", userName: `${name}\\$${name}`, userPWD: password, destinationAppUrl: appUrl, ...common }) +
    profile({ profileName: `${name} - Zip Deploy`, publishMethod: "ZipDeploy", publishUrl: scm, userName: `$${name}`, userPWD: password, destinationAppUrl: appUrl, ...common }) +
    "</publishData>"
  );
}
