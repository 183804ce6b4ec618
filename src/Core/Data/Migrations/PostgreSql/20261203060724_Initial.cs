using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Alerts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Rule = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Group = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Signal = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    StartedAt = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true),
                    Peak = table.Column<long>(type: "bigint", nullable: false),
                    Detail = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Alerts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Audit",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    At = table.Column<long>(type: "bigint", nullable: false),
                    Actor = table.Column<string>(type: "character varying(85)", maxLength: 85, nullable: false),
                    Action = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    Target = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    SessionsEnded = table.Column<int>(type: "integer", nullable: false),
                    Detail = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Audit", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Events",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    At = table.Column<long>(type: "bigint", nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    WikiId = table.Column<int>(type: "integer", nullable: true),
                    SessionId = table.Column<long>(type: "bigint", nullable: true),
                    SessionHandle = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    UserId = table.Column<int>(type: "integer", nullable: true),
                    Detail = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Events", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Farm",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    Epoch = table.Column<long>(type: "bigint", nullable: false),
                    EpochChangedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Farm", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MetricBuckets",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Minute = table.Column<long>(type: "bigint", nullable: false),
                    WikiId = table.Column<int>(type: "integer", nullable: true),
                    Group = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Signal = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Value = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricBuckets", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "OAuthConsumers",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Grants = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    Description = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OAuthConsumers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SessionCounts",
                columns: table => new
                {
                    WikiId = table.Column<int>(type: "integer", nullable: false),
                    Epoch = table.Column<long>(type: "bigint", nullable: false),
                    Provider = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Anonymous = table.Column<bool>(type: "boolean", nullable: false),
                    OpenSessions = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SessionCounts", x => new { x.WikiId, x.Epoch, x.Provider, x.Anonymous });
                });

            migrationBuilder.CreateTable(
                name: "Staff",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Name = table.Column<string>(type: "character varying(85)", maxLength: 85, nullable: false),
                    Role = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    PasswordHash = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    TokenHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    IsDemo = table.Column<bool>(type: "boolean", nullable: false),
                    Disabled = table.Column<bool>(type: "boolean", nullable: false),
                    Stamp = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    FailedLogins = table.Column<int>(type: "integer", nullable: false),
                    Lockouts = table.Column<int>(type: "integer", nullable: false),
                    LockedUntil = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Staff", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Users",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Name = table.Column<string>(type: "character varying(85)", maxLength: 85, nullable: false),
                    Token = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Prevented = table.Column<bool>(type: "boolean", nullable: false),
                    PreventedAt = table.Column<long>(type: "bigint", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    Version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Users", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Wikis",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    DbName = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Host = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Group = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    IsCentral = table.Column<bool>(type: "boolean", nullable: false),
                    Weight = table.Column<int>(type: "integer", nullable: false),
                    ApiKeyHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Wikis", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "StaffSessions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TokenHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    StaffAccountId = table.Column<int>(type: "integer", nullable: true),
                    Name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Stamp = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    LastSeenAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StaffSessions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_StaffSessions_Staff_StaffAccountId",
                        column: x => x.StaffAccountId,
                        principalTable: "Staff",
                        principalColumn: "Id");
                });

            migrationBuilder.CreateTable(
                name: "BotPasswords",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    UserId = table.Column<int>(type: "integer", nullable: false),
                    AppId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Grants = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    RevokedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BotPasswords", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BotPasswords_Users_UserId",
                        column: x => x.UserId,
                        principalTable: "Users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "CentralSessions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    IdHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Handle = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    UserId = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    LastActivityAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    Remember = table.Column<bool>(type: "boolean", nullable: false),
                    Ip = table.Column<string>(type: "character varying(45)", maxLength: 45, nullable: true),
                    UserAgent = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    UserToken = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Epoch = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true),
                    EndReason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    Version = table.Column<int>(type: "integer", nullable: false),
                    SurvivedLogoutTraceId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    SurvivedLogoutAt = table.Column<long>(type: "bigint", nullable: true),
                    BrowserId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    Unlinked = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CentralSessions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CentralSessions_Users_UserId",
                        column: x => x.UserId,
                        principalTable: "Users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "OAuthGrants",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    UserId = table.Column<int>(type: "integer", nullable: false),
                    ConsumerId = table.Column<int>(type: "integer", nullable: false),
                    Grants = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    RevokedAt = table.Column<long>(type: "bigint", nullable: true),
                    AuthorizationGeneration = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OAuthGrants", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OAuthGrants_OAuthConsumers_ConsumerId",
                        column: x => x.ConsumerId,
                        principalTable: "OAuthConsumers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_OAuthGrants_Users_UserId",
                        column: x => x.UserId,
                        principalTable: "Users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Attachments",
                columns: table => new
                {
                    UserId = table.Column<int>(type: "integer", nullable: false),
                    WikiId = table.Column<int>(type: "integer", nullable: false),
                    AttachedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Attachments", x => new { x.UserId, x.WikiId });
                    table.ForeignKey(
                        name: "FK_Attachments_Users_UserId",
                        column: x => x.UserId,
                        principalTable: "Users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_Attachments_Wikis_WikiId",
                        column: x => x.WikiId,
                        principalTable: "Wikis",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Blobs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    WikiId = table.Column<int>(type: "integer", nullable: false),
                    KeyHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Kind = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SessionId = table.Column<long>(type: "bigint", nullable: true),
                    Body = table.Column<byte[]>(type: "bytea", nullable: false),
                    Length = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    WrittenAt = table.Column<long>(type: "bigint", nullable: false),
                    ReadAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: true),
                    Writes = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Blobs", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Blobs_Wikis_WikiId",
                        column: x => x.WikiId,
                        principalTable: "Wikis",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "LogoutTraces",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    UserId = table.Column<int>(type: "integer", nullable: true),
                    StartedOnWikiId = table.Column<int>(type: "integer", nullable: false),
                    Scope = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    StartedAt = table.Column<long>(type: "bigint", nullable: false),
                    FinishedAt = table.Column<long>(type: "bigint", nullable: false),
                    Outcome = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    CentralSessionSurvived = table.Column<bool>(type: "boolean", nullable: false),
                    Ip = table.Column<string>(type: "character varying(45)", maxLength: 45, nullable: true),
                    UserAgent = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LogoutTraces", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LogoutTraces_Wikis_StartedOnWikiId",
                        column: x => x.StartedOnWikiId,
                        principalTable: "Wikis",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ProviderSettings",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    WikiId = table.Column<int>(type: "integer", nullable: true),
                    Provider = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Priority = table.Column<int>(type: "integer", nullable: false),
                    PersistsSessionId = table.Column<bool>(type: "boolean", nullable: false),
                    CanChangeUser = table.Column<bool>(type: "boolean", nullable: false),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ProviderSettings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ProviderSettings_Wikis_WikiId",
                        column: x => x.WikiId,
                        principalTable: "Wikis",
                        principalColumn: "Id");
                });

            migrationBuilder.CreateTable(
                name: "RememberTokens",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TokenHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    UserId = table.Column<int>(type: "integer", nullable: false),
                    WikiId = table.Column<int>(type: "integer", nullable: false),
                    CentralSessionId = table.Column<long>(type: "bigint", nullable: true),
                    IssuedAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    UserToken = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Epoch = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true),
                    EndReason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RememberTokens", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RememberTokens_Users_UserId",
                        column: x => x.UserId,
                        principalTable: "Users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_RememberTokens_Wikis_WikiId",
                        column: x => x.WikiId,
                        principalTable: "Wikis",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "LogoutTraceSteps",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    TraceId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Order = table.Column<int>(type: "integer", nullable: false),
                    WikiId = table.Column<int>(type: "integer", nullable: false),
                    SessionsFound = table.Column<int>(type: "integer", nullable: false),
                    SessionsEnded = table.Column<int>(type: "integer", nullable: false),
                    CookiesCleared = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Outcome = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    At = table.Column<long>(type: "bigint", nullable: false),
                    DurationMs = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LogoutTraceSteps", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LogoutTraceSteps_LogoutTraces_TraceId",
                        column: x => x.TraceId,
                        principalTable: "LogoutTraces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LogoutTraceSteps_Wikis_WikiId",
                        column: x => x.WikiId,
                        principalTable: "Wikis",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Sessions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    IdHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Handle = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    WikiId = table.Column<int>(type: "integer", nullable: false),
                    UserId = table.Column<int>(type: "integer", nullable: true),
                    Provider = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Origin = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    CentralSessionId = table.Column<long>(type: "bigint", nullable: true),
                    BotPasswordId = table.Column<int>(type: "integer", nullable: true),
                    OAuthGrantId = table.Column<int>(type: "integer", nullable: true),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    LastActivityAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    Remember = table.Column<bool>(type: "boolean", nullable: false),
                    Ip = table.Column<string>(type: "character varying(45)", maxLength: 45, nullable: true),
                    IpKey = table.Column<string>(type: "character varying(33)", maxLength: 33, nullable: true),
                    UserAgent = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    Metadata = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Data = table.Column<string>(type: "text", nullable: false),
                    DataVersion = table.Column<int>(type: "integer", nullable: false),
                    UserToken = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Epoch = table.Column<long>(type: "bigint", nullable: false),
                    CookiesSet = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true),
                    EndReason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    EndedBy = table.Column<string>(type: "character varying(85)", maxLength: 85, nullable: true),
                    RememberTokenId = table.Column<long>(type: "bigint", nullable: true),
                    ResurrectionOfTraceId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Sessions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Sessions_CentralSessions_CentralSessionId",
                        column: x => x.CentralSessionId,
                        principalTable: "CentralSessions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_Sessions_LogoutTraces_ResurrectionOfTraceId",
                        column: x => x.ResurrectionOfTraceId,
                        principalTable: "LogoutTraces",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_Sessions_Users_UserId",
                        column: x => x.UserId,
                        principalTable: "Users",
                        principalColumn: "Id");
                    table.ForeignKey(
                        name: "FK_Sessions_Wikis_WikiId",
                        column: x => x.WikiId,
                        principalTable: "Wikis",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "MetadataDiffs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    SessionId = table.Column<long>(type: "bigint", nullable: false),
                    At = table.Column<long>(type: "bigint", nullable: false),
                    Saved = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Provided = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    ConflictingKeys = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetadataDiffs", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MetadataDiffs_Sessions_SessionId",
                        column: x => x.SessionId,
                        principalTable: "Sessions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_EndedAt",
                table: "Alerts",
                column: "EndedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_StartedAt",
                table: "Alerts",
                column: "StartedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Attachments_WikiId",
                table: "Attachments",
                column: "WikiId");

            migrationBuilder.CreateIndex(
                name: "IX_Audit_At",
                table: "Audit",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_Audit_Target",
                table: "Audit",
                column: "Target");

            migrationBuilder.CreateIndex(
                name: "IX_Blobs_ExpiresAt",
                table: "Blobs",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_Blobs_KeyHash",
                table: "Blobs",
                column: "KeyHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Blobs_SessionId",
                table: "Blobs",
                column: "SessionId");

            migrationBuilder.CreateIndex(
                name: "IX_Blobs_WikiId_Length",
                table: "Blobs",
                columns: new[] { "WikiId", "Length" });

            migrationBuilder.CreateIndex(
                name: "IX_BotPasswords_UserId_AppId",
                table: "BotPasswords",
                columns: new[] { "UserId", "AppId" });

            migrationBuilder.CreateIndex(
                name: "IX_CentralSessions_BrowserId",
                table: "CentralSessions",
                column: "BrowserId");

            migrationBuilder.CreateIndex(
                name: "IX_CentralSessions_EndedAt_Epoch_ExpiresAt",
                table: "CentralSessions",
                columns: new[] { "EndedAt", "Epoch", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CentralSessions_Handle",
                table: "CentralSessions",
                column: "Handle",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CentralSessions_IdHash",
                table: "CentralSessions",
                column: "IdHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CentralSessions_UserId_EndedAt",
                table: "CentralSessions",
                columns: new[] { "UserId", "EndedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Events_At",
                table: "Events",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_Events_SessionId_At",
                table: "Events",
                columns: new[] { "SessionId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_Events_UserId_At",
                table: "Events",
                columns: new[] { "UserId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_Events_WikiId_At",
                table: "Events",
                columns: new[] { "WikiId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_LogoutTraces_StartedAt",
                table: "LogoutTraces",
                column: "StartedAt");

            migrationBuilder.CreateIndex(
                name: "IX_LogoutTraces_StartedOnWikiId",
                table: "LogoutTraces",
                column: "StartedOnWikiId");

            migrationBuilder.CreateIndex(
                name: "IX_LogoutTraces_UserId_FinishedAt",
                table: "LogoutTraces",
                columns: new[] { "UserId", "FinishedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_LogoutTraceSteps_TraceId_Order",
                table: "LogoutTraceSteps",
                columns: new[] { "TraceId", "Order" });

            migrationBuilder.CreateIndex(
                name: "IX_LogoutTraceSteps_WikiId",
                table: "LogoutTraceSteps",
                column: "WikiId");

            migrationBuilder.CreateIndex(
                name: "IX_MetadataDiffs_SessionId_At",
                table: "MetadataDiffs",
                columns: new[] { "SessionId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_MetricBuckets_Minute",
                table: "MetricBuckets",
                column: "Minute");

            migrationBuilder.CreateIndex(
                name: "IX_MetricBuckets_WikiId_Group_Minute",
                table: "MetricBuckets",
                columns: new[] { "WikiId", "Group", "Minute" });

            migrationBuilder.CreateIndex(
                name: "IX_OAuthConsumers_Name",
                table: "OAuthConsumers",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OAuthGrants_ConsumerId",
                table: "OAuthGrants",
                column: "ConsumerId");

            migrationBuilder.CreateIndex(
                name: "IX_OAuthGrants_UserId_ConsumerId",
                table: "OAuthGrants",
                columns: new[] { "UserId", "ConsumerId" });

            migrationBuilder.CreateIndex(
                name: "IX_ProviderSettings_WikiId_Provider",
                table: "ProviderSettings",
                columns: new[] { "WikiId", "Provider" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_CentralSessionId",
                table: "RememberTokens",
                column: "CentralSessionId");

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_EndedAt_Epoch_ExpiresAt",
                table: "RememberTokens",
                columns: new[] { "EndedAt", "Epoch", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_TokenHash",
                table: "RememberTokens",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_UserId_EndedAt",
                table: "RememberTokens",
                columns: new[] { "UserId", "EndedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_WikiId",
                table: "RememberTokens",
                column: "WikiId");

            migrationBuilder.CreateIndex(
                name: "IX_SessionCounts_Epoch",
                table: "SessionCounts",
                column: "Epoch");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_BotPasswordId",
                table: "Sessions",
                column: "BotPasswordId");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_CentralSessionId",
                table: "Sessions",
                column: "CentralSessionId");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_CreatedAt",
                table: "Sessions",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_Ended_EndedAt",
                table: "Sessions",
                column: "EndedAt",
                filter: "\"EndedAt\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_Epoch",
                table: "Sessions",
                column: "Epoch");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_Handle",
                table: "Sessions",
                column: "Handle",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_IdHash",
                table: "Sessions",
                column: "IdHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_Ip",
                table: "Sessions",
                column: "Ip");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_IpKey",
                table: "Sessions",
                column: "IpKey");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_OAuthGrantId",
                table: "Sessions",
                column: "OAuthGrantId");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_Open_ExpiresAt",
                table: "Sessions",
                column: "ExpiresAt",
                filter: "\"EndedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_RememberTokenId",
                table: "Sessions",
                column: "RememberTokenId");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_ResurrectionOfTraceId",
                table: "Sessions",
                column: "ResurrectionOfTraceId");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_UserId_CreatedAt",
                table: "Sessions",
                columns: new[] { "UserId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_UserId_EndedAt_Epoch",
                table: "Sessions",
                columns: new[] { "UserId", "EndedAt", "Epoch" });

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_WikiId",
                table: "Sessions",
                column: "WikiId");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_WikiId_EndedAt_Epoch_CreatedAt",
                table: "Sessions",
                columns: new[] { "WikiId", "EndedAt", "Epoch", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Staff_Name",
                table: "Staff",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Staff_TokenHash",
                table: "Staff",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_StaffSessions_ExpiresAt",
                table: "StaffSessions",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_StaffSessions_StaffAccountId_EndedAt",
                table: "StaffSessions",
                columns: new[] { "StaffAccountId", "EndedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_StaffSessions_TokenHash",
                table: "StaffSessions",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Users_Name",
                table: "Users",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Wikis_DbName",
                table: "Wikis",
                column: "DbName",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Wikis_Group",
                table: "Wikis",
                column: "Group");

            SessionCounters.Create(migrationBuilder);
            // The audit log is append-only in the store itself, as on the other providers.
            migrationBuilder.Sql("""
                CREATE FUNCTION "Audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'The audit log is append-only'; END
                $$;
                CREATE TRIGGER "Audit_no_change" BEFORE UPDATE OR DELETE ON "Audit" FOR EACH ROW EXECUTE FUNCTION "Audit_append_only"();
                CREATE TRIGGER "Audit_no_truncate" BEFORE TRUNCATE ON "Audit" FOR EACH STATEMENT EXECUTE FUNCTION "Audit_append_only"();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            SessionCounters.Drop(migrationBuilder);
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS \"Audit_append_only\"() CASCADE;");
            migrationBuilder.DropTable(
                name: "Alerts");

            migrationBuilder.DropTable(
                name: "Attachments");

            migrationBuilder.DropTable(
                name: "Audit");

            migrationBuilder.DropTable(
                name: "Blobs");

            migrationBuilder.DropTable(
                name: "BotPasswords");

            migrationBuilder.DropTable(
                name: "Events");

            migrationBuilder.DropTable(
                name: "Farm");

            migrationBuilder.DropTable(
                name: "LogoutTraceSteps");

            migrationBuilder.DropTable(
                name: "MetadataDiffs");

            migrationBuilder.DropTable(
                name: "MetricBuckets");

            migrationBuilder.DropTable(
                name: "OAuthGrants");

            migrationBuilder.DropTable(
                name: "ProviderSettings");

            migrationBuilder.DropTable(
                name: "RememberTokens");

            migrationBuilder.DropTable(
                name: "SessionCounts");

            migrationBuilder.DropTable(
                name: "StaffSessions");

            migrationBuilder.DropTable(
                name: "Sessions");

            migrationBuilder.DropTable(
                name: "OAuthConsumers");

            migrationBuilder.DropTable(
                name: "Staff");

            migrationBuilder.DropTable(
                name: "CentralSessions");

            migrationBuilder.DropTable(
                name: "LogoutTraces");

            migrationBuilder.DropTable(
                name: "Users");

            migrationBuilder.DropTable(
                name: "Wikis");
        }
    }
}
