global using WikiSessions.Core.Domain;
global using WikiSessions.Core.Sessions;
